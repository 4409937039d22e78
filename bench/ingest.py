"""Ingest: committed and pushed notifications per second, against a raw insert+commit loop.

Run: .venv/bin/python -m bench.ingest [--backends sqlite,postgresql] [--clients 1000]
     [--users 100] [--count 2000] [--http-concurrency 8] [--batch 50] [--rounds 2]

Issue 5, measurement 3. For each database a real Tocsin server runs the way a deployment
on that database would, with `--clients` WebSockets held on it by a separate asyncio
client process (bench.latency_client), dealt round-robin over `--users` logged-in users:

- PostgreSQL: one gevent worker (`gunicorn -c gunicorn.conf.py wsgi:app`) with a private
  Redis as the broker, as bench.latency runs it (schema tocsin_bench_ingest, dropped after).
- SQLite: the embedded set-up (no Redis: the database broker, polled every 0.1 s) under one
  *gthread* worker, because docs/deploy.md says so: a gevent worker blocks every socket
  while a write waits for SQLite's lock, and the writers here do nothing but contend.

Then `--count` notifications, round-robin over the users, through each path:

- ceiling: a raw SQLAlchemy Core loop, `INSERT` into tocsin_notifications + `commit` per
  row, same column values; no counter, no broker, no push;
- python: `notify()` in a loop in this process (an app on the same database and broker);
- python_many: `notify_many()` with `--batch` distinct users per call;
- http: POST /api/v1/notifications (bearer token), one notification per request, from
  `--http-concurrency` threads, each with its own keep-alive connection.

Every title carries `t=<time.time_ns() at the first publish>`, so the client's latency of
each receipt is its arrival time since the start. Rate = notifications / (last push
arrived - first publish); every row must be in the database and reach each socket of its
user exactly once (lost and duplicated are counted by the client, not assumed).
"""

import argparse
import http.client
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa

from . import datasets
from .latency import LatencyClient, pin
from .report import emit, fmt_ratio, machine_markdown, stack_info
from .serving import cpu_seconds, raise_nofile, start_redis

PG_SCHEMA = "tocsin_bench_ingest"
BACKENDS = ("sqlite", "postgresql")
PATHS = ("ceiling", "python", "python_many", "http")
CLIENTS = 1000
USERS = 100
COUNT = 2000
HTTP_CONCURRENCY = 8
BATCH = 50
ROUNDS = 2
WARMUP = 20
TIMEOUT_S = 120.0
SETTLE_S = 1.0
REDIS_PREFIX = "bench-ingest"
PASSWORD = "tocsin"  # noqa: S105 - the bench users' throwaway password
#: The same column values on every path (the title adds the run stamp and a number).
TYPE = "comment"
BODY = "Someone replied in a thread you follow."
URL = "/threads/7"
ACTOR = "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Settings:
    clients: int = CLIENTS
    users: int = USERS
    count: int = COUNT
    http_concurrency: int = HTTP_CONCURRENCY
    batch: int = BATCH
    rounds: int = ROUNDS
    paths: tuple[str, ...] = PATHS
    warmup: int = WARMUP
    timeout_s: float = TIMEOUT_S
    settle_s: float = SETTLE_S
    pinned: bool = False


@dataclass
class Target:
    """A running Tocsin server and an app on its database and broker, users logged in."""

    backend: str
    url: str
    app: object
    token: str
    user_ids: dict[str, int]  # user key ("c0", ...) -> id
    cookies: dict[str, str]
    server_pid: int | None = None
    worker_class: str = ""
    broker: str = ""
    extra: dict = field(default_factory=dict)


def user_keys(users: int) -> list[str]:
    """Crowd keys c0.. : bench.latency_client deals the sockets round-robin over them."""
    return [f"c{i}" for i in range(users)]


def username(key: str) -> str:
    return f"ingest{key}"


def title(stamp: int, k: int) -> str:
    return f"t={stamp} #{k}"


def setup_database(app, users: int) -> tuple[dict[str, int], str]:
    """Create the schema, `users` users (one password hash for all) and an API token."""
    from werkzeug.security import generate_password_hash

    from tocsin.api import tokens
    from tocsin.extensions import db
    from tocsin.models import UnreadCounter, User

    password_hash = generate_password_hash(PASSWORD)  # scrypt: once, not once per user
    with app.app_context():
        db.create_all()
        made = {
            k: User(username=username(k), password_hash=password_hash) for k in user_keys(users)
        }
        db.session.add_all(made.values())
        db.session.flush()
        db.session.add_all(UnreadCounter(user_id=u.id, unread=0) for u in made.values())
        db.session.commit()
        user_ids = {k: u.id for k, u in made.items()}
        _, secret = tokens.create(db.session, "bench-ingest")
        db.session.remove()
    return user_ids, secret


def login_all(server_url: str, keys: list[str]) -> dict[str, str]:
    from tests.support import HttpSession

    return {k: HttpSession(server_url).login(username(k), PASSWORD).cookie_header for k in keys}


def plan(target: Target, count: int) -> list[tuple[int, str]]:
    """(user id, user key) per notification, round-robin over the users."""
    keys = list(target.user_ids)
    return [(target.user_ids[keys[k % len(keys)]], keys[k % len(keys)]) for k in range(count)]


# -- the paths: each publishes every (user id, key) of `todo`, stamped `stamp`; returns the
# -- [notification id, user key] pairs the client must see, and errors by kind.


def path_ceiling(target: Target, todo, stamp: int, s: Settings) -> tuple[list, Counter]:
    """INSERT + COMMIT per row through SQLAlchemy Core; the row Tocsin would write."""
    from tocsin.extensions import db
    from tocsin.models import Notification, utcnow
    from tocsin.notifications.validation import clean

    with target.app.app_context():
        engine = db.engine  # the app's own engine: same pool, same SQLite pragmas
        fields = clean(type=TYPE, title="x", body=BODY, url=URL, actor=ACTOR).__dict__
    insert = Notification.__table__.insert()
    with engine.connect() as conn:
        for k, (uid, _key) in enumerate(todo):
            row = {**fields, "title": title(stamp, k), "user_id": uid, "created_at": utcnow()}
            conn.execute(insert, row)
            conn.commit()
    return [], Counter()


def path_python(target: Target, todo, stamp: int, s: Settings) -> tuple[list, Counter]:
    """notify() once per notification, in one app context (a job's loop)."""
    from tocsin import notify
    from tocsin.extensions import db

    items = []
    with target.app.app_context():
        for k, (uid, key) in enumerate(todo):
            n = notify(uid, TYPE, title(stamp, k), body=BODY, url=URL, actor=ACTOR)
            items.append([n.id, key])
        db.session.remove()
    return items, Counter()


def path_python_many(target: Target, todo, stamp: int, s: Settings) -> tuple[list, Counter]:
    """notify_many() over `batch` distinct users per call (one commit per call)."""
    from tocsin import notify_many
    from tocsin.extensions import db

    items = []
    with target.app.app_context():
        for b, start in enumerate(range(0, len(todo), s.batch)):
            chunk = todo[start : start + s.batch]
            ids = notify_many(
                [uid for uid, _ in chunk], TYPE, title(stamp, b), body=BODY, url=URL, actor=ACTOR
            )
            items += [[nid, key] for nid, (_, key) in zip(ids, chunk, strict=True)]
        db.session.remove()
    return items, Counter()


def path_http(target: Target, todo, stamp: int, s: Settings) -> tuple[list, Counter]:
    """POST /api/v1/notifications, one per request, from `http_concurrency` keep-alive
    connections (a thread each)."""
    parts = urlsplit(target.url)
    headers = {"Authorization": f"Bearer {target.token}", "Content-Type": "application/json"}
    work = iter(enumerate(todo))
    lock = threading.Lock()
    items: list = []
    errors: Counter = Counter()

    def publisher() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            while True:
                with lock:
                    job = next(work, None)
                if job is None:
                    return
                k, (uid, key) = job
                body = {
                    "recipients": [uid],
                    "type": TYPE,
                    "title": title(stamp, k),
                    "body": BODY,
                    "url": URL,
                    "actor": ACTOR,
                }
                try:
                    conn.request("POST", "/api/v1/notifications", json.dumps(body), headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        errors[type(exc).__name__] += 1
                    conn.close()  # reconnects on the next request; this one is counted
                    continue
                with lock:
                    if resp.status == 201:
                        items.append([json.loads(data)["ids"][0], key])
                    else:
                        errors[f"HTTP {resp.status}"] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=publisher) for _ in range(s.http_concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return items, errors


PATH_FUNCS = {
    "ceiling": path_ceiling,
    "python": path_python,
    "python_many": path_python_many,
    "http": path_http,
}


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS, sum(fields[:8]) / CLOCK_TICKS


def busy_percent(busy: float, total: float) -> float | None:
    """Percent of all cores busy; None for a window shorter than a clock tick."""
    return 100 * busy / total if total > 0 else None


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def committed(target: Target, stamp: int) -> int:
    """Rows whose title carries this run's stamp: what was really committed."""
    from tocsin.extensions import db
    from tocsin.models import Notification

    with target.app.app_context():
        n = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.title.like(f"t={stamp} #%"))
        )
        db.session.remove()
    return n


def run_path(name: str, target: Target, client, todo, s: Settings) -> dict:
    """Publish `todo` through one path; count rows and receipts; time first publish to last push."""
    client.call("reset")
    held_before = client.call("watch_close", timeout=0)["still_open"]
    cpu_client0 = client.call("cpu")["cpu_s"]
    cpu_server0 = cpu_seconds(target.server_pid) if target.server_pid else None
    busy0, total0 = machine_busy()
    cpu_self0 = self_cpu()
    stamp = time.time_ns()
    items, errors = PATH_FUNCS[name](target, todo, stamp, s)
    published_ns = time.time_ns()
    cpu_self = self_cpu() - cpu_self0
    result: dict = {
        "path": name,
        "count": len(todo),
        "publish_s": (published_ns - stamp) / 1e9,
        "publish_per_s": len(todo) / ((published_ns - stamp) / 1e9),
        "errors": dict(errors),
        "publisher_cpu_percent": 100 * cpu_self / ((published_ns - stamp) / 1e9),
        "held_before": held_before,
    }
    if name != "ceiling":
        got = client.call("tally", items=items, timeout=s.timeout_s, settle=0)
        done_ns = time.time_ns()
        wall = (done_ns - stamp) / 1e9
        busy1, total1 = machine_busy()
        result["client_cpu_percent"] = 100 * (client.call("cpu")["cpu_s"] - cpu_client0) / wall
        if cpu_server0 is not None:
            result["server_cpu_percent"] = (
                100 * (cpu_seconds(target.server_pid) - cpu_server0) / wall
            )
        result["machine_busy_percent"] = busy_percent(busy1 - busy0, total1 - total0)
        # Again, after a pause: duplicates that arrive late are counted too.
        time.sleep(s.settle_s)
        got = client.call("tally", items=items, timeout=0, settle=0)
        result["held_after"] = client.call("watch_close", timeout=0)["still_open"]
        result["expected_by_deal"] = sum(
            dealt(s.clients, list(target.user_ids))[k] for _, k in items
        )
        arrivals = [ms for _, ms in got.pop("latencies_ms")]
        got.pop("sample", None)
        result.update(got)
        last_push_s = max(arrivals) / 1000 if arrivals else None
        result["last_push_s"] = last_push_s
        result["per_s"] = len(todo) / last_push_s if last_push_s else None
        result["pushes_per_s"] = got["received"] / last_push_s if last_push_s else None
    else:
        busy1, total1 = machine_busy()
        result["machine_busy_percent"] = busy_percent(busy1 - busy0, total1 - total0)
        result["per_s"] = result["publish_per_s"]
    result["committed"] = committed(target, stamp)
    result["failures"] = failures(result)
    return result


def dealt(clients: int, keys: list[str]) -> Counter:
    """Sockets per user key, dealt as bench.latency_client deals them (round-robin, c0 first)."""
    order = sorted(keys, key=lambda k: int(k[1:]))
    return Counter(order[i % len(order)] for i in range(clients))


def failures(r: dict) -> list[str]:
    out = []
    if "expected" in r:
        if r["expected"] != r["expected_by_deal"]:
            out.append(f"{r['expected']} socket receipts expected, {r['expected_by_deal']} dealt")
        if r["received"] != r["expected"]:
            out.append(f"{r['received']} of {r['expected']} receipts")
        if r["held_after"] < r["held_before"]:
            out.append(f"{r['held_before'] - r['held_after']} sockets closed")
    if r["committed"] != r["count"]:
        out.append(f"{r['committed']} of {r['count']} committed")
    for kind, n in r["errors"].items():
        out.append(f"{n} × {kind}")
    for what in ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped"):
        if r.get(what):
            out.append(f"{r[what]} {what}")
    return out


def measure(target: Target, s: Settings, workdir: Path) -> dict:
    """Hold `s.clients` sockets on the server, warm up, then run every path `s.rounds` times."""
    ws_url = target.url.replace("http://", "ws://") + "/notifications/ws"
    client = LatencyClient(ws_url, target.url, target.cookies, workdir)
    try:
        if s.pinned:  # the server on the first core, the load client on the last one
            cores = sorted(os.sched_getaffinity(0))
            pin(target.server_pid, cores[0])
            pin(client.proc.pid, cores[-1])
        opened = client.call("open", total=s.clients)
        out: dict = {
            "held": opened["held"],
            "handshake_failed": opened["failed"],
            "handshake_errors": opened["errors"],
            "open_s": opened["elapsed_s"],
            "sockets_per_user": s.clients / len(target.user_ids),
            "rounds": [],
        }
        print(f"   {opened['held']} sockets held ({opened['failed']} failed)", flush=True)
        todo = plan(target, s.count)
        warm = plan(target, s.warmup)
        out["warmup"] = {
            name: run_path(name, target, client, warm, s)["failures"]
            for name in ("python", "http")
            if name in s.paths
        }
        for rnd in range(s.rounds):
            order = list(s.paths) if rnd % 2 == 0 else list(reversed(s.paths))
            results = {}
            for name in order:
                results[name] = run_path(name, target, client, todo, s)
                print(f"   round {rnd + 1} {name}: {brief(results[name])}", flush=True)
            out["rounds"].append(results)
        out["best"] = best(out["rounds"], s.paths)
        return out
    finally:
        client.quit()


def best(rounds: list[dict], paths) -> dict:
    """Per path, the round with the highest rate; ratios to the best ceiling."""
    chosen = {}
    for name in paths:
        runs = [r[name] for r in rounds if name in r]
        ok = [r for r in runs if not r["failures"] and r.get("per_s")]
        chosen[name] = max(ok or runs, key=lambda r: r.get("per_s") or 0)
    ceiling = chosen.get("ceiling", {}).get("per_s")
    for r in chosen.values():
        r["ratio_to_ceiling"] = r["per_s"] / ceiling if ceiling and r.get("per_s") else None
    return chosen


def brief(r: dict) -> str:
    keys = (
        "per_s",
        "publish_per_s",
        "committed",
        "expected",
        "received",
        "lost",
        "duplicated",
        "server_cpu_percent",
        "client_cpu_percent",
        "machine_busy_percent",
        "failures",
    )
    return json.dumps(
        {k: round(r[k], 1) if isinstance(r.get(k), float) else r.get(k) for k in keys if k in r}
    )


# -- servers ------------------------------------------------------------------------------


def make_app(db_url: str, secret: str, redis_url: str | None, prefix: str, poll: str):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db_url,
            "SECRET_KEY": secret,
            "TOCSIN_REDIS_URL": redis_url,
            "TOCSIN_REDIS_CHANNEL_PREFIX": prefix,
            "TOCSIN_BROKER_POLL_INTERVAL": float(poll),
        }
    )


def run_backend(backend: str, s: Settings, workdir: Path) -> dict:
    """Start the server for `backend` as a deployment would, measure, tear everything down."""
    from bench.serving import Gunicorn
    from tests.support import server_env
    from tocsin import state
    from tocsin.extensions import db

    bdir = workdir / backend
    bdir.mkdir()
    redis_proc = server = app = None
    try:
        if backend == "postgresql":
            redis_proc, redis_url = start_redis(bdir)
            db_url = datasets.fresh_schema_url(PG_SCHEMA)
            worker_class, broker_kind = "gevent", "redis"
        else:
            redis_url = None
            db_url = f"sqlite:///{bdir / 'ingest.sqlite3'}"
            worker_class, broker_kind = "gthread", "database (embedded), polled every 0.1 s"
        poll = "0.1"  # the default: server_env's test value is 0.05
        extra = {
            "TOCSIN_BROKER_POLL_INTERVAL": poll,
            "TOCSIN_WORKER_CONNECTIONS": str(s.clients + 100),
        }
        if redis_url:
            extra |= {"TOCSIN_REDIS_URL": redis_url, "TOCSIN_REDIS_CHANNEL_PREFIX": REDIS_PREFIX}
        env = server_env(bdir, db_url, **extra)
        if not redis_url:
            env.pop("TOCSIN_REDIS_URL", None)
        os.environ["TOCSIN_INSTANCE_PATH"] = str(bdir)
        app = make_app(db_url, env["TOCSIN_SECRET_KEY"], redis_url, REDIS_PREFIX, poll)
        user_ids, token = setup_database(app, s.users)
        server = Gunicorn(worker_class, env, bdir / "gunicorn.log")
        print(f"== {backend}: {worker_class} worker, broker {broker_kind}; logging in", flush=True)
        cookies = login_all(server.url, list(user_ids))
        target = Target(
            backend,
            server.url,
            app,
            token,
            user_ids,
            cookies,
            server.worker_pid,
            worker_class,
            broker_kind,
        )
        with app.app_context():
            version = db.session.scalar(
                sa.text(
                    "SHOW server_version" if backend == "postgresql" else "SELECT sqlite_version()"
                )
            )
            db.session.remove()
        result = measure(target, s, bdir)
        result.update(
            backend=backend,
            worker_class=worker_class,
            broker=broker_kind,
            database_version=version,
            server_log=server.log_excerpt(5),
        )
        return result
    finally:
        if server is not None:
            server.stop()
        if app is not None:
            state.of(app).broker.stop()
            with app.app_context():
                db.engine.dispose()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        if backend == "postgresql":
            datasets.drop_schema(PG_SCHEMA)


# -- results ------------------------------------------------------------------------------

LABELS = {
    "ceiling": "ceiling: SQLAlchemy Core INSERT + commit per row",
    "python": "Python API: `notify()` per notification",
    "python_many": "Python API: `notify_many()`, {batch} users per call",
    "http": "HTTP API: POST /api/v1/notifications, {conc} connections",
}


def fmt(value, spec: str = ".0f") -> str:
    return "–" if value is None else format(value, spec)


def markdown(data: dict) -> str:
    st = data["settings"]
    lines = [
        "# Ingest: committed and pushed notifications per second",
        "",
        f"{st['count']:,} notifications per path, round-robin over {st['users']} users holding "
        f"{st['clients']:,} WebSockets between them ({st['clients'] // st['users']} each, "
        "one asyncio client process, permessage-deflate on). A notification counts once it is "
        "committed and has reached every socket of its user; the rate is notifications / "
        "(last push received − first publish). The ceiling has no push: its rate is rows / "
        "loop time. Each path ran "
        f"{st['rounds']} time(s), alternating the order; the table shows the fastest round "
        "(all rounds are in the JSON).",
        "",
        "- **PostgreSQL**: one gevent worker (`gunicorn -c gunicorn.conf.py wsgi:app`), "
        "private Redis as the broker; the Python API publishes from the bench process "
        "through the same Redis.",
        "- **SQLite**: the embedded set-up, one *gthread* worker and the database broker "
        "(polled every 0.1 s, the default). Not gevent: docs/deploy.md, a gevent worker "
        "blocks every socket while a write waits for SQLite's lock. A `notify()` from the "
        "bench process reaches the sockets at the server's next poll; a POST to the API is "
        "pushed by the worker that committed it, at once.",
        f"- HTTP: {st['http_concurrency']} publisher threads in the bench process, each with "
        "its own keep-alive connection, one notification per request.",
        "- Ceiling: `INSERT` of the same column values into `tocsin_notifications` + "
        "`commit` per row through the app's own engine (same pool and SQLite pragmas), in "
        "the bench process, with the sockets still connected. No counter row, no broker, "
        "no push.",
        "",
        "| database | path | notifications/s | / ceiling | publish calls/s | pushes/s "
        "| committed | lost | dup. | server CPU % | client CPU % | publisher CPU % "
        "| machine busy % |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for b in data["backends"]:
        for name, r in b["best"].items():
            label = LABELS[name].format(batch=st["batch"], conc=st["http_concurrency"])
            lines.append(
                f"| {b['backend']} | {label} | **{fmt(r.get('per_s'))}** "
                f"| {fmt_ratio(r.get('ratio_to_ceiling'))} | {fmt(r.get('publish_per_s'))} "
                f"| {fmt(r.get('pushes_per_s'))} | {r['committed']:,} | {r.get('lost', '–')} "
                f"| {r.get('duplicated', '–')} | {fmt(r.get('server_cpu_percent'))} "
                f"| {fmt(r.get('client_cpu_percent'))} | {fmt(r.get('publisher_cpu_percent'))} "
                f"| {fmt(r.get('machine_busy_percent'))} |"
            )
    lines += [
        "",
        "*publish calls/s*: notifications / time until the last publish call returned "
        "(what the publisher sees). *pushes/s*: socket receipts per second (each "
        "notification goes to every socket of its user). CPU % over the window from the "
        "first publish to the last push, 100 % = one core: the server's worker, the load "
        "client, this bench process (the publisher; over the publish calls only); "
        "*machine busy* is every core of the machine (100 % = all of them busy), PostgreSQL "
        "and Redis included.",
        "",
        "Every round (notifications/s):",
        "",
        "| database | path | " + " | ".join(f"round {i + 1}" for i in range(st["rounds"])) + " |",
        "|---|---|" + "---:|" * st["rounds"],
    ]
    for b in data["backends"]:
        for name in st["paths"]:
            cells = [fmt(r[name].get("per_s")) for r in b["rounds"]]
            lines.append(f"| {b['backend']} | {name} | " + " | ".join(cells) + " |")
    failed = [
        f"{b['backend']} round {i + 1} {name}: {'; '.join(r['failures'])}"
        for b in data["backends"]
        for i, rnd in enumerate(b["rounds"])
        for name, r in rnd.items()
        if r["failures"]
    ]
    failed += [
        f"{b['backend']}: {b['clients'] - b['held']} sockets not held {b['handshake_errors']}"
        for b in data["backends"]
        if b["held"] < b["clients"]
    ]
    lost = sum(
        r.get("lost", 0) for b in data["backends"] for rnd in b["rounds"] for r in rnd.values()
    )
    dup = sum(
        r.get("duplicated", 0)
        for b in data["backends"]
        for rnd in b["rounds"]
        for r in rnd.values()
    )
    lines += [
        "",
        f"Exactly once: {lost} lost, {dup} duplicated over every round and path."
        + (" **Failures:** " + " / ".join(failed) if failed else " No failures."),
        "",
    ]
    if data.get("notes"):
        lines += ["## Notes", "", data["notes"].strip(), ""]
    lines += ["## Machine", "", machine_markdown(data["machine"]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql")
    parser.add_argument("--paths", default=",".join(PATHS), help=",".join(PATHS))
    parser.add_argument("--clients", type=int, default=CLIENTS, help="WebSockets held")
    parser.add_argument("--users", type=int, default=USERS, help="users the sockets are dealt over")
    parser.add_argument("--count", type=int, default=COUNT, help="notifications per path")
    parser.add_argument("--http-concurrency", type=int, default=HTTP_CONCURRENCY)
    parser.add_argument("--batch", type=int, default=BATCH, help="users per notify_many() call")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--pin", action="store_true", help="server on core 0, client on the last")
    parser.add_argument("--notes", type=Path, help="a Markdown file appended as ## Notes")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--name", default="ingest", help="results file name")
    args = parser.parse_args(argv)
    s = Settings(
        clients=args.clients,
        users=args.users,
        count=args.count,
        http_concurrency=args.http_concurrency,
        batch=min(args.batch, args.users),
        rounds=args.rounds,
        paths=tuple(args.paths.split(",")),
        pinned=args.pin and len(os.sched_getaffinity(0)) >= 2,
    )
    unknown = set(s.paths) - set(PATHS)
    if unknown:
        parser.error(f"unknown paths: {', '.join(sorted(unknown))}")
    raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-ingest-"))
    results = []
    try:
        for backend in args.backends.split(","):
            results.append({"clients": s.clients, **run_backend(backend, s, workdir)})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    data = {
        "settings": asdict(s),
        "backends": results,
        "notes": args.notes.read_text() if args.notes else None,
        # BENCH_GIT_REVISION: set when the bench runs from an exported commit (no .git).
        "machine": stack_info(load_at_start, git=os.environ.get("BENCH_GIT_REVISION")),
    }
    emit(args.name, data, markdown(data), write=not args.no_write)
    if any(r["failures"] for b in results for rnd in b["rounds"] for r in rnd.values()) or any(
        b["held"] < b["clients"] for b in results
    ):
        sys.exit("some runs failed: see the table")


if __name__ == "__main__":
    main()
