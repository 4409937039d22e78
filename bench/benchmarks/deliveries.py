"""Deliveries: emails and pushes `flask tocsin worker` sends per second, against raw loops.

Run: .venv/bin/python -m bench deliveries [--count 1000] [--workers 4] [--runs 3]
     [--backends postgresql,sqlite] [--smoke]

Issue 13. The far ends run in this process (bench/harness/sinks.py): an SMTP server and a
push service that take everything at once. Each run makes a fresh database with `--count`
users, each with an address, one push subscription (real P-256 keys) at the local push
service and email turned on for mentions; one `notify_many` then publishes a mention to
all of them, which stages a push (at once: no tab is open) and an email (at once:
TOCSIN_EMAIL_DELAY=0) per user. Then `flask tocsin worker --workers N` starts, a process
of its own as in production (PostgreSQL with a private Redis queue, or SQLite with the
SQLite queue), and runs until every row is sent. Rate = rows / (last sent_at - first
sent_at), per channel. The peer sends the same messages from N threads with no queue and
no database: smtplib with a connection per message, pywebpush with a VAPID token each.
Every address and every device must have received exactly one message.
"""

import os
import smtplib
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import sqlalchemy as sa
from pywebpush import WebPusher

from bench.harness import cli, machine, schemas, tocsin_app
from bench.harness.paths import ROOT
from bench.harness.servers import server_env
from bench.harness.services import Redis, stop_process
from bench.harness.sinks import PushSink, SmtpSink, browser_keys
from bench.report import emit
from tocsin import notify_many
from tocsin.channels import vapid
from tocsin.extensions import db
from tocsin.models import Delivery, Preference, PushSubscription

PG_SCHEMA = "tocsin_bench_deliveries"
BACKENDS = ("postgresql", "sqlite")
SMOKE = {"count": 20, "workers": 2, "runs": 1, "timeout_s": 60.0}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup(app, count: int, push: PushSink) -> list[int]:
    """Users with an address, a device and mentions by email on; return their ids."""
    names = {f"d{i}": f"deliver{i}" for i in range(count)}
    ids, _ = tocsin_app.create_users_bulk(app, names)
    with app.app_context():
        db.session.execute(sa.text("UPDATE tocsin_users SET email = username || '@bench.invalid'"))
        rows, prefs = [], []
        for key, uid in ids.items():
            p256dh, auth = browser_keys()
            rows.append(
                {"user_id": uid, "endpoint": push.endpoint(key), "p256dh": p256dh, "auth": auth}
            )
            prefs.append({"user_id": uid, "channels": {"mention": {"email": True}}})
        db.session.execute(sa.insert(PushSubscription), rows)
        db.session.execute(sa.insert(Preference), prefs)
        db.session.commit()
        db.session.remove()
    return list(ids.values())


def publish(app, user_ids: list[int]) -> float:
    """One publish to every user (it stages and enqueues their deliveries); its seconds."""
    with app.app_context():
        start = time.perf_counter()
        notify_many(user_ids, type="mention", title="You were mentioned")
        took = time.perf_counter() - start
        db.session.remove()
    return took


def wait_sent(app, want: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = tocsin_app.scalar(
            app, "SELECT count(*) FROM tocsin_deliveries WHERE state IN ('sent', 'dead', 'skipped')"
        )
        if done >= want:
            return
        time.sleep(0.1)
    raise AssertionError(f"only {done} of {want} deliveries done in {timeout_s} s")


def rates(app) -> dict:
    """Per channel: rows, states, and sends per second from the first to the last sent_at."""
    out = {}
    with app.app_context():
        for channel in ("push", "email"):
            mine = Delivery.channel == channel
            by_state = sa.select(Delivery.state, sa.func.count()).where(mine)
            states = dict(db.session.execute(by_state.group_by(Delivery.state)).all())
            first, last = db.session.execute(
                sa.select(sa.func.min(Delivery.sent_at), sa.func.max(Delivery.sent_at)).where(mine)
            ).one()
            sent = states.get("sent", 0)
            span = (last - first).total_seconds() if sent > 1 else 0.0
            out[channel] = {
                "states": states,
                "attempts": db.session.scalar(
                    sa.select(sa.func.sum(Delivery.attempts)).where(mine)
                ),
                "span_s": span,
                "per_s": (sent - 1) / span if span else 0.0,
            }
        db.session.remove()
    return out


def check_sinks(smtp: SmtpSink, push: PushSink, count: int) -> None:
    for what, got in (("emails", smtp.received), ("pushes", push.received)):
        if len(got) != count or set(got.values()) != {1}:
            twice = sum(1 for n in got.values() if n > 1)
            raise AssertionError(f"{what}: {len(got)} of {count} got one, {twice} more than one")


def peer(app, smtp: SmtpSink, push: PushSink, count: int, workers: int) -> dict:
    """The same messages from `workers` threads with no queue or database."""
    smtp.received.clear()
    push.received.clear()
    with app.app_context():
        key = vapid.load(app)
        subject = app.config["TOCSIN_VAPID_SUBJECT"]
        subs = [
            {"endpoint": s.endpoint, "keys": {"p256dh": s.p256dh, "auth": s.auth}}
            for s in db.session.scalars(sa.select(PushSubscription))
        ]
        db.session.remove()

    def mail(i: int) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "bench@localhost", f"peer{i}@bench.invalid", "x"
        msg.set_content("You were mentioned")
        with smtplib.SMTP("127.0.0.1", smtp.port, timeout=30) as conn:
            conn.send_message(msg)

    def send_push(sub: dict) -> None:
        aud = "http://" + push.host
        headers = key.sign({"sub": subject, "aud": aud, "exp": int(time.time()) + 43200})
        WebPusher(sub).send(b'{"title": "You were mentioned"}', headers, ttl=86400, timeout=30)

    out = {}
    for name, job, items in (("email", mail, range(count)), ("push", send_push, subs)):
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(job, items))
        out[name] = {"per_s": count / (time.perf_counter() - start)}
    check_sinks(smtp, push, count)
    return out


def one_run(backend: str, args, workdir, smtp: SmtpSink, push: PushSink) -> dict:
    smtp.received.clear()
    push.received.clear()
    schema = schemas.schema_name(PG_SCHEMA, args.smoke)
    redis = Redis(workdir) if backend == "postgresql" else None
    url = schemas.fresh_schema_url(schema) if redis else f"sqlite:///{workdir}/deliveries.sqlite3"
    for leftover in ("tocsin-queue.sqlite3", "deliveries.sqlite3"):  # the last run's
        (workdir / leftover).unlink(missing_ok=True)
    settings = {
        "TOCSIN_SMTP_URL": smtp.url,
        "TOCSIN_EMAIL_DELAY": "0",
        "TOCSIN_PUSH_ALLOWED_HOSTS": push.host,
        "TOCSIN_DELIVERY_SWEEP_INTERVAL": "0",
        "TOCSIN_REDIS_URL": redis.url if redis else None,
        "TOCSIN_REDIS_CHANNEL_PREFIX": "bench-deliveries",
    }
    env = server_env(workdir, url, **settings)
    config = {k: v for k, v in settings.items() if v is not None}
    config["TOCSIN_EMAIL_DELAY"] = 0
    config["TOCSIN_DELIVERY_SWEEP_INTERVAL"] = 0
    # This process and the worker share the instance folder: the SQLite queue, the VAPID key.
    os.environ["TOCSIN_INSTANCE_PATH"] = str(workdir)
    app = tocsin_app.make_app(url, "test-secret", **config)
    worker = None
    worker_log = (workdir / "worker.log").open("w")
    try:
        user_ids = setup(app, args.count, push)
        publish_s = publish(app, user_ids)
        start = time.perf_counter()
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "tocsin", "worker"]
            + ["--workers", str(args.workers)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=worker_log,
        )
        wait_sent(app, 2 * args.count, args.timeout_s)
        wall = time.perf_counter() - start
        got = rates(app)
        check_sinks(smtp, push, args.count)
        raw = peer(app, smtp, push, args.count, args.workers)
    finally:
        stop_process(worker)
        worker_log.close()
        tocsin_app.dispose(app)
        if redis:
            redis.stop()
            schemas.drop_schema(schema)
    for channel in ("push", "email"):
        got[channel]["peer_per_s"] = raw[channel]["per_s"]
        got[channel]["ratio"] = got[channel]["per_s"] / raw[channel]["per_s"]
    return {"publish_s": publish_s, "wall_s": wall, **got}


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main(argv=None) -> None:
    p = cli.parser(__doc__, "deliveries")
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--count", type=int, default=1000, help="users: one push and one email each")
    p.add_argument("--workers", type=int, default=4, help="the worker's threads (and the peer's)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--timeout-s", type=float, default=600.0)
    args = p.parse_args(argv)
    if args.smoke:
        for k, v in SMOKE.items():
            setattr(args, k, v)
    began = time.perf_counter()
    results = {}
    with cli.workdir("bench-deliveries-") as workdir:
        smtp, push = SmtpSink().start(), PushSink().start()
        try:
            for backend in args.backends.split(","):
                runs = []
                for i in range(args.runs):
                    log(f"{backend}: run {i + 1}/{args.runs}: {args.count:,} pushes + emails")
                    runs.append(one_run(backend, args, workdir, smtp, push))
                    r = runs[-1]
                    log(
                        f"  push {r['push']['per_s']:.0f}/s (peer {r['push']['peer_per_s']:.0f}),"
                        f" email {r['email']['per_s']:.0f}/s (peer {r['email']['peer_per_s']:.0f})"
                    )
                summary = {
                    f"{ch}_{k}": spread([r[ch][k] for r in runs])
                    for ch in ("push", "email")
                    for k in ("per_s", "peer_per_s", "ratio")
                }
                summary["publish_s"] = spread([r["publish_s"] for r in runs])
                results[backend] = {"runs": runs, "summary": summary}
        finally:
            smtp.stop()
            push.stop()
    data = {
        "count": args.count,
        "workers": args.workers,
        "runs": args.runs,
        "backends": results,
        "machine": machine.machine_info(),
        "wall_seconds": time.perf_counter() - began,
    }
    print(emit(cli.out_dir(args), args.name, data, "deliveries"))


if __name__ == "__main__":
    main()
