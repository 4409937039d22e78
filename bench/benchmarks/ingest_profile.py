"""Where the ingest benchmark's time goes: each path's pieces under pyinstrument, in one process.

Run: .venv/bin/python -m bench ingest_profile [--backend sqlite|postgresql] [--count 1000]

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

import time

from pyinstrument import Profiler

from bench.harness import cli, schemas, tocsin_app
from bench.harness.services import Redis
from bench.harness.users import crowd_keys, username
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection

PG_SCHEMA = "tocsin_bench_ingest"


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
    parser = cli.parser(__doc__, "ingest_profile")
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--sockets", type=int, default=10, help="sockets per user (push)")
    parser.add_argument("--only", default="ceiling,notify,api,push")
    args = parser.parse_args(argv)
    if args.smoke:
        args.count, args.users, args.sockets = 20, 4, 2
    only = set(args.only.split(","))
    schema = schemas.schema_name(PG_SCHEMA, args.smoke)
    with cli.workdir("tocsin-ingest-profile-") as workdir:
        redis = None
        try:
            if args.backend == "postgresql":
                redis = Redis(workdir)
                db_url = schemas.fresh_schema_url(schema)
            else:
                db_url = f"sqlite:///{workdir / 'profile.sqlite3'}"
            profile(args, only, db_url, redis and redis.url)
        finally:
            if redis is not None:
                redis.stop()
            if args.backend == "postgresql":
                schemas.drop_schema(schema)


def profile(args, only: set[str], db_url: str, redis_url: str | None) -> None:
    """Profile each piece the ingest paths are made of, one after the other."""
    app = tocsin_app.make_app(
        db_url,
        "profile-secret",
        TOCSIN_REDIS_URL=redis_url,
        TOCSIN_REDIS_CHANNEL_PREFIX="bench-ingest-profile",
        TOCSIN_BROKER_POLL_INTERVAL=0.1,
        # As the ingest benchmark's server (servers.py): 1,000 posts a minute, one token.
        TOCSIN_API_RATE_LIMIT="",
    )
    names = {k: username("ingest", k) for k in crowd_keys(args.users)}
    tokens = {"token": "bench-ingest", "counters": True}  # the token's name
    user_ids, token = tocsin_app.create_users_bulk(app, names, **tokens)
    keys = list(user_ids)
    todo = [(user_ids[keys[k % len(keys)]], keys[k % len(keys)]) for k in range(args.count)]
    stamp = time.time_ns()
    titles = [f"t={stamp} #{k}" for k in range(len(todo))]
    if "ceiling" in only:
        profiled(
            "ceiling: INSERT + commit", len(todo), lambda: tocsin_app.insert_loop(app, todo, titles)
        )
    if "notify" in only:
        profiled("notify()", len(todo), lambda: tocsin_app.notify_loop(app, todo, titles))
    if "api" in only:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        content = {"type": tocsin_app.TYPE, **tocsin_app.CONTENT}

        def api_loop():
            for (uid, _key), title in zip(todo, titles, strict=True):
                body = {"recipients": [uid], "title": title, **content}
                resp = client.post("/api/v1/notifications", json=body, headers=headers)
                if resp.status_code != 201:
                    raise RuntimeError(resp.get_data(as_text=True))

        profiled("POST /api/v1/notifications (test client)", len(todo), api_loop)
    if "push" in only:
        fifth = todo[: len(todo) // 5]
        new = [nid for nid, _ in tocsin_app.notify_loop(app, fifth, titles[: len(fifth)])]
        owners = {nid: uid for nid, (uid, _) in zip(new, fifth, strict=True)}
        conns = {uid: [Connection(uid, 256) for _ in range(args.sockets)] for uid, _ in todo}

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
    tocsin_app.dispose(app)


if __name__ == "__main__":
    main()
