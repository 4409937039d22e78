"""Ingest: committed and pushed notifications per second, against a raw insert+commit loop.

Run: .venv/bin/python -m bench ingest [--backends sqlite,postgresql] [--clients 1000]
     [--users 100] [--count 2000] [--http-concurrency 8] [--batch 50] [--rounds 2] [--smoke]

Issue 5, measurement 3. For each database a real Tocsin server runs as a deployment on it
would (PostgreSQL: one gevent worker, a private Redis; SQLite: the embedded broker under
one gthread worker, as docs/deploy.md says), `--clients` WebSockets held over `--users`
users by a load client (bench.clients.stamped). Then `--count` notifications through
each path of bench.harness.publish_paths. Every title carries `t=<ns of the first
publish>`; rate = notifications / (last push arrived - first publish). Every row must be
in the database and reach each socket of its user exactly once.
"""

import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.harness import cli, features, machine, schemas, tocsin_app
from bench.harness.deployment import Deployment
from bench.harness.driver import STAMPED, LoadClient
from bench.harness.ingest_run import Target, best, brief, run_path
from bench.harness.publish_paths import PATHS
from bench.harness.users import crowd_keys, login_all, username
from bench.report import emit

PG_SCHEMA = "tocsin_bench_ingest"
BACKENDS = ("sqlite", "postgresql")
REDIS_PREFIX = "bench-ingest"
SIZES = {
    "clients": "WebSockets held",
    "users": "users the sockets are dealt over",
    "count": "notifications per path",
    "http_concurrency": "keep-alive connections posting to the API",
    "batch": "users per notify_many() call",
    "rounds": "runs of every path, alternating the order",
    "server_workers": "gunicorn workers of the server (the HTTP API's rate on two cores)",
}
SMOKE = dict(clients=6, users=3, count=10, http_concurrency=2, batch=3, rounds=1, warmup=3)
SMOKE.update(timeout_s=15, settle_s=0.3)


@dataclass
class Settings:
    clients: int = 1000
    users: int = 100
    count: int = 2000
    http_concurrency: int = 8
    batch: int = 50
    rounds: int = 2
    paths: tuple[str, ...] = PATHS
    warmup: int = 20
    timeout_s: float = 120.0
    settle_s: float = 1.0
    pinned: bool = False
    server_workers: int = 1


def measure(target: Target, server, cookies, s: Settings, workdir: Path, on: bool) -> dict:
    """Hold `s.clients` sockets on the server, warm up, then run every path `s.rounds`
    times; with the features `on`, then once more each with quiet hours in force."""
    client = LoadClient(STAMPED, server, cookies, workdir)
    try:
        if s.pinned:  # the server on the first core, the load client on the last one
            machine.pin_apart(target.server_pids[0], client.proc.pid)
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
        keys = list(target.user_ids)
        todo = [
            (target.user_ids[keys[k % len(keys)]], keys[k % len(keys)])
            for k in range(max(s.count, s.warmup))
        ]
        out["warmup"] = {
            name: run_path(name, target, client, todo[: s.warmup], s, on)["failures"]
            for name in ("python", "http")
            if name in s.paths
        }
        for rnd in range(s.rounds):
            results = {}
            for name in s.paths if rnd % 2 == 0 else reversed(s.paths):
                results[name] = run_path(name, target, client, todo[: s.count], s, on)
                print(f"   round {rnd + 1} {name}: {brief(results[name])}", flush=True)
            out["rounds"].append(results)
        out["best"] = best(out["rounds"], s.paths)
        if on:  # the variant: every toast held (a held row each), push and email held too
            features.quiet_now(target.app, list(target.user_ids.values()))
            quiet = [n for n in s.paths if n != "ceiling"]
            out["quiet"] = {
                n: run_path(n, target, client, todo[: s.count], s, on, True) for n in quiet
            }
            print(f"   quiet hours in force: {brief(out['quiet'])}", flush=True)
        return out
    finally:
        client.quit()


def run_backend(backend: str, s: Settings, workdir: Path, schema: str, mode: str) -> dict:
    """Start the server for `backend` as a deployment would, with the features `mode`
    ("off" or "on"), measure, tear everything down."""
    bdir = workdir / f"{backend}-{mode}"
    bdir.mkdir()
    postgres = backend == "postgresql"
    worker_class = "gevent" if postgres else "gthread"
    broker = "redis" if postgres else "database (embedded), polled every 0.1 s"
    with Deployment(
        bdir,
        schema,
        sqlite=not postgres,
        redis=postgres,
        prefix=REDIS_PREFIX,
        connections=s.clients + 100,
        poll="0.1",
        settings=features.settings(mode),
    ) as deployed:
        app = deployed.app
        names = {k: username("ingest", k) for k in crowd_keys(s.users)}
        tokens = {"token": "bench-ingest", "counters": True}  # the token's name
        user_ids, token = tocsin_app.create_users_bulk(app, names, **tokens)
        if mode == "on":
            features.switch_on(app, list(user_ids.values()))
        server = deployed.serve(worker_class, workers=s.server_workers)
        print(f"== {backend}, features {mode}: {worker_class} worker, broker {broker}", flush=True)
        cookies = login_all(server.url, names)
        target = Target(server.url, app, token, user_ids, server.worker_pids)
        version = tocsin_app.database_version(app)
        result = measure(target, server, cookies, s, bdir, mode == "on")
        result.update(
            backend=backend,
            features=mode,
            worker_class=worker_class,
            broker=broker,
            database_version=version,
            server_log=server.log_excerpt(5),
        )
        server.stop()
    if server.returncode != 0:
        result["master_exit_code"] = server.returncode
    return result


def every_run(backends: list[dict]) -> list[dict]:
    """Every path's run: each round's, and the quiet-hours variant's."""
    runs = [r for b in backends for rnd in b["rounds"] for r in rnd.values()]
    return runs + [r for b in backends for r in b.get("quiet", {}).values()]


def report_context(data: dict) -> dict:
    every = every_run(data["backends"])
    return {
        "lost": sum(r.get("lost", 0) for r in every),
        "dup": sum(r.get("duplicated", 0) for r in every),
    }


def main(argv: list[str] | None = None) -> None:
    d = Settings()
    parser = cli.parser(__doc__, "ingest")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql")
    parser.add_argument("--paths", default=",".join(PATHS), help=",".join(PATHS))
    for name, what in SIZES.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=int, default=getattr(d, name), help=what)
    parser.add_argument("--pin", action="store_true", help="server on core 0, client on the last")
    parser.add_argument("--notes", type=Path, help="a Markdown file appended as ## Notes")
    parser.add_argument("--features", default="both", choices=("off", "on", "both"))
    args = parser.parse_args(argv)
    s = Settings(
        **{name: getattr(args, name) for name in SIZES},
        paths=tuple(args.paths.split(",")),
        pinned=args.pin and machine.can_pin(),
    )
    s.batch = min(s.batch, s.users)
    if args.smoke:
        s = Settings(**SMOKE, paths=s.paths)
    if unknown := set(s.paths) - set(PATHS):
        parser.error(f"unknown paths: {', '.join(sorted(unknown))}")
    schema = schemas.schema_name(PG_SCHEMA, args.smoke)
    machine.raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    with cli.workdir("tocsin-ingest-") as workdir:
        results = [
            {"clients": s.clients, **run_backend(b, s, workdir, schema, mode)}
            for b in args.backends.split(",")
            for mode in features.modes(args.features)
        ]
    data = {
        "settings": asdict(s),
        "backends": results,
        "features": features.compare(results, s.paths),
        "notes": args.notes.read_text() if args.notes else None,
        # BENCH_GIT_REVISION: set when the bench runs from an exported commit (no .git).
        "machine": machine.stack_info(load_at_start, git=os.environ.get("BENCH_GIT_REVISION")),
    }
    emit(cli.out_dir(args), args.name, data, "ingest", **report_context(data))
    if any(r["failures"] for r in every_run(results)) or any(
        b["held"] < b["clients"] or b.get("master_exit_code") for b in results
    ):
        sys.exit("some runs failed: see the table")


if __name__ == "__main__":
    main()
