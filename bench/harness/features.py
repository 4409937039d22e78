"""The features of issues 8-14 switched on for a benchmark, and the checks that they ran.

"off" is the bench's usual set-up: no preferences rows, no group key, TOCSIN_RATE_LIMIT
empty, nobody reachable by push or email. "on" puts every feature of the delivery
pipeline (tocsin/notifications/pipeline.py) to work without changing what is delivered:

- preferences: a `tocsin_preferences` row per recipient with quiet hours that are not
  in force (a different window for each user, two to eleven hours from now, so the
  policy cannot share one decision between them: the worst case) and per-type choices
  (comments on every channel, likes muted on the toast);
- grouping: every notification carries a group key of its own, so `grouping.merge`
  takes its locks and looks for an open group, and finds none (`collapsing` variants
  reuse one key instead: every later notification grows the recipient's row);
- rate limits: TOCSIN_RATE_LIMIT at RATE_LIMIT, counted (in Redis, or in memory without
  it) but never reached;
- channels: every user has an email address and a push subscription, so the push and
  email channels stage a `tocsin_deliveries` row each per notification and enqueue it
  on the Huey queue once the publish commits (push at once, email scheduled after
  TOCSIN_EMAIL_DELAY); no queue worker runs, so the jobs wait and can be counted.

Rows are written by table name (tocsin_app.execute), as the bench runs on older commits.
"""

import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from . import tocsin_app

MODES = ("off", "on")
#: Per user: never reached by a benchmark, so it counts but holds nothing.
RATE_LIMIT = "1000000/minute"
#: The queued channels' jobs carry this many deliveries each (tocsin/channels/queue.py).
JOB_SIZE = 25
CHANNELS = {"comment": dict.fromkeys(("toast", "browser", "push", "email"), True)}
CHANNELS["like"] = {"toast": False}

PREFS = sa.table(
    "tocsin_preferences",
    *(sa.column(c) for c in ("user_id", "timezone", "quiet_start", "quiet_end", "digest")),
    sa.column("sound", sa.Boolean),
    sa.column("urgent_through", sa.Boolean),
    sa.column("channels", sa.JSON),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
SUBSCRIPTIONS = sa.table(
    "tocsin_push_subscriptions",
    *(sa.column(c) for c in ("user_id", "endpoint", "p256dh", "auth", "label")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def modes(value: str) -> tuple[str, ...]:
    """`--features off|on|both` as the modes to run, in order."""
    return MODES if value == "both" else (value,)


def settings(mode: str) -> dict[str, str]:
    """The app's and server's settings for `mode`."""
    return {"TOCSIN_RATE_LIMIT": RATE_LIMIT if mode == "on" else ""}


def hhmm(at: datetime) -> str:
    return at.strftime("%H:%M")


def quiet_later(k: int, now: datetime) -> tuple[str, str]:
    """User number `k`'s quiet hours (UTC): 4 to 5 hours long, starting 2 to 6 hours from
    now, a different window for each of 14,400 users; none in force for two hours."""
    start = now + timedelta(hours=2, minutes=k % 240)
    return hhmm(start), hhmm(start + timedelta(hours=4, minutes=(k // 240) % 60))


def quiet_around_now() -> tuple[str, str]:
    """Quiet hours (UTC "HH:MM") from an hour ago to an hour from now."""
    now = datetime.now(UTC)
    return hhmm(now - timedelta(hours=1)), hhmm(now + timedelta(hours=1))


def switch_on(app, user_ids: list[int]) -> None:
    """Give every user a preferences row, an email address and a push subscription."""
    now = datetime.now(UTC)
    common = {"timezone": "UTC", "sound": True, "urgent_through": True, "digest": "off"}
    common |= {"channels": CHANNELS, "updated_at": now}
    prefs = []
    for k, uid in enumerate(user_ids):
        start, end = quiet_later(k, now)
        prefs.append({"user_id": uid, "quiet_start": start, "quiet_end": end, **common})
    device = {"p256dh": "x", "auth": "y", "label": "bench", "created_at": now}
    subs = [
        {"user_id": uid, "endpoint": f"http://127.0.0.1:9/push/{uid}", **device} for uid in user_ids
    ]
    # The bench's users are the only ones: every one gets an address.
    addresses = sa.text("UPDATE tocsin_users SET email = 'u' || id || '@bench.invalid'")
    tocsin_app.execute(
        app, (sa.insert(PREFS), prefs), (sa.insert(SUBSCRIPTIONS), subs), (addresses, {})
    )


def quiet_now(app, user_ids: list[int]) -> None:
    """Put every user in quiet hours now: toasts held (a tocsin_held row each), push and
    email held too (no delivery rows)."""
    start, end = quiet_around_now()
    stmt = sa.update(PREFS).where(PREFS.c.user_id.in_(user_ids))
    tocsin_app.execute(app, (stmt.values(quiet_start=start, quiet_end=end), {}))


def group_keys(stamp: int, n: int) -> list[str]:
    """A group key of its own for each of `n` notifications: grouping runs, nothing joins."""
    return [f"g{stamp}-{k}" for k in range(n)]


def expected_jobs(sizes: list[int]) -> int:
    """Jobs on the queue for publishes to `sizes` recipients each, per queued channel."""
    return sum(math.ceil(n / JOB_SIZE) for n in sizes)


JOINED = " JOIN tocsin_notifications n ON n.id = x.notification_id WHERE n.title LIKE :p"


def staged(app, title_prefix: str) -> dict:
    """Delivery rows (by channel) and held rows of the notifications titled `title_prefix`…"""
    p = f"{title_prefix}%"
    deliveries = {
        channel: tocsin_app.scalar(
            app,
            f"SELECT count(*) FROM tocsin_deliveries x{JOINED} AND x.channel = :c",
            p=p,
            c=channel,
        )
        for channel in ("push", "email")
    }
    held = tocsin_app.scalar(app, f"SELECT count(*) FROM tocsin_held x{JOINED}", p=p)
    return {"deliveries": {k: n for k, n in deliveries.items() if n}, "held": held}


def check(app, title_prefix: str, sizes: list[int], jobs0: tuple, quiet: bool) -> dict:
    """What the channels staged and enqueued for publishes to `sizes` recipients each,
    against what they should have; `failures` lists any difference."""
    got = staged(app, title_prefix)
    # Huey keeps a job with an ETA (the email's) on the queue too until a consumer reads
    # it: with no consumer, each publish adds its push jobs and its email jobs there.
    got["jobs"] = tocsin_app.queued_jobs(app)[0] - jobs0[0]
    count = sum(sizes)
    want = {
        "deliveries": {} if quiet else {"push": count, "email": count},
        "held": count if quiet else 0,
        "jobs": 0 if quiet else 2 * expected_jobs(sizes),
    }
    got["failures"] = [f"{k}: {got[k]}, not {v}" for k, v in want.items() if got[k] != v]
    return got


def cost(off: float | None, on: float | None) -> float | None:
    """How many times longer a notification takes with the features: off rate / on rate."""
    return off / on if off and on else None


def cpu_ms(r: dict) -> float | None:
    """The server's CPU milliseconds per notification of one run (None: not measured)."""
    return 1000 * r["server_cpu_s"] / r["count"] if r.get("server_cpu_s") else None


def compare(backends: list[dict], paths) -> list[dict]:
    """Per backend and path: the best rate off and on (and with quiet hours in force), and
    the cost ratio (target <= 1.2); server CPU per notification off and on. The ceiling
    runs without features either way: its ratio is the machine's drift between the runs."""
    out = []
    for backend in dict.fromkeys(b["backend"] for b in backends):
        by_mode = {b["features"]: b for b in backends if b["backend"] == backend}
        if set(by_mode) != set(MODES):
            continue
        for name in paths:
            off, on = by_mode["off"]["best"][name], by_mode["on"]["best"][name]
            quiet = by_mode["on"].get("quiet", {}).get(name, {})
            row = {"backend": backend, "path": name, "off_per_s": off.get("per_s")}
            row |= {"on_per_s": on.get("per_s"), "quiet_per_s": quiet.get("per_s")}
            row["cost"] = cost(row["off_per_s"], row["on_per_s"])
            row["quiet_cost"] = cost(row["off_per_s"], row["quiet_per_s"])
            row |= {
                "off_cpu_ms": cpu_ms(off),
                "on_cpu_ms": cpu_ms(on),
                "quiet_cpu_ms": cpu_ms(quiet),
            }
            out.append(row)
    return out
