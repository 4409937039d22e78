"""Where bench.ingest's time goes: each path's pieces under pyinstrument, in one process.

Run: .venv/bin/python -m bench.ingest_profile [--backend sqlite|postgresql] [--count 1000]

No server and no sockets: the same work the ingest benchmark's processes do, one piece
at a time, so each profile shows one cost.

- ceiling: the raw INSERT + commit loop;
- notify: `notify()` in a loop (SQLite: the embedded broker's row; PostgreSQL: Redis);
- api: POST /api/v1/notifications through Flask's test client (the request's own cost,
  without gunicorn or the network);
- push: what the worker does per socket after a "created" event: `push.render()` for each
  of `--sockets` connections of the notified user, as every socket renders its own.

Prints the per-call time of each and pyinstrument's tree (frames under 2 % hidden).
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from pyinstrument import Profiler

from . import datasets
from .ingest import ACTOR, BODY, PG_SCHEMA, TYPE, URL, make_app, setup_database, title
from .serving import start_redis


def profiled(name: str, n: int, fn) -> None:
    profiler = Profiler(interval=0.0005)
    start = time.perf_counter()
    profiler.start()
    fn()
    profiler.stop()
    per_call = (time.perf_counter() - start) / n * 1000
    print(f"\n===== {name}: {n} calls, {per_call:.3f} ms per call (under the profiler)")
    print(
        profiler.output_text(
            unicode=True,
            color=False,
            show_all=False,
            short_mode=False,
            time="percent_of_total",
            flat=False,
            processor_options={"filter_threshold": 0.02},
        )
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--sockets", type=int, default=10, help="sockets per user (push)")
    parser.add_argument("--only", default="ceiling,notify,api,push")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))

    from tocsin.extensions import db
    from tocsin.live import push
    from tocsin.live.connection import Connection
    from tocsin.models import Notification, utcnow
    from tocsin.notifications.publish import notify
    from tocsin.notifications.validation import clean

    workdir = Path(tempfile.mkdtemp(prefix="tocsin-ingest-profile-"))
    redis_proc = None
    try:
        if args.backend == "postgresql":
            redis_proc, redis_url = start_redis(workdir)
            db_url = datasets.fresh_schema_url(PG_SCHEMA)
        else:
            redis_url, db_url = None, f"sqlite:///{workdir / 'profile.sqlite3'}"
        app = make_app(db_url, "profile-secret", redis_url, "bench-ingest-profile", "0.1")
        user_ids, token = setup_database(app, args.users)
        ids = list(user_ids.values())
        todo = [ids[k % len(ids)] for k in range(args.count)]
        stamp = time.time_ns()

        if "ceiling" in only:
            with app.app_context():
                engine = db.engine
                fields = clean(type=TYPE, title="x", body=BODY, url=URL, actor=ACTOR).__dict__
            insert = Notification.__table__.insert()

            def ceiling():
                with engine.connect() as conn:
                    for k, uid in enumerate(todo):
                        conn.execute(
                            insert,
                            {
                                **fields,
                                "title": title(stamp, k),
                                "user_id": uid,
                                "created_at": utcnow(),
                            },
                        )
                        conn.commit()

            profiled("ceiling: INSERT + commit", len(todo), ceiling)

        if "notify" in only:

            def notify_loop():
                with app.app_context():
                    for k, uid in enumerate(todo):
                        notify(uid, TYPE, title(stamp, k), body=BODY, url=URL, actor=ACTOR)
                    db.session.remove()

            profiled("notify()", len(todo), notify_loop)

        if "api" in only:
            client = app.test_client()
            headers = {"Authorization": f"Bearer {token}"}

            def api_loop():
                for k, uid in enumerate(todo):
                    body = {
                        "recipients": [uid],
                        "type": TYPE,
                        "title": title(stamp, k),
                        "body": BODY,
                        "url": URL,
                        "actor": ACTOR,
                    }
                    resp = client.post("/api/v1/notifications", json=body, headers=headers)
                    assert resp.status_code == 201, resp.get_data(as_text=True)

            profiled("POST /api/v1/notifications (test client)", len(todo), api_loop)

        if "push" in only:
            with app.app_context():
                new = [
                    notify(uid, TYPE, title(stamp, k), body=BODY, url=URL, actor=ACTOR).id
                    for k, uid in enumerate(todo[: len(todo) // 5])
                ]
                owners = dict(zip(new, todo, strict=False))
                db.session.remove()
            conns = {uid: [Connection(uid, 256) for _ in range(args.sockets)] for uid in set(todo)}

            def push_loop():
                with app.test_request_context():  # the socket handler runs in a request
                    for nid in new:
                        for conn in conns[owners[nid]]:
                            push.render(db.session, conn, [{"kind": "created", "ids": [nid]}])
                            db.session.rollback()  # as the socket loop does after each

            profiled(
                f"push.render() x {args.sockets} sockets per notification",
                len(new) * args.sockets,
                push_loop,
            )
        with app.app_context():
            db.engine.dispose()
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        if args.backend == "postgresql":
            datasets.drop_schema(PG_SCHEMA)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
