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

import json
import os
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.harness import cli, machine, schemas, tocsin_app
from bench.harness.deployment import Deployment
from bench.harness.driver import STAMPED, LoadClient
from bench.harness.publish_paths import PATHS, publish
from bench.harness.users import crowd_keys, login_all, username
from bench.report import emit

PG_SCHEMA = "tocsin_bench_ingest"
BACKENDS = ("sqlite", "postgresql")
REDIS_PREFIX = "bench-ingest"
FAILURE_KEYS = ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped")
SIZES = {
    "clients": "WebSockets held",
    "users": "users the sockets are dealt over",
    "count": "notifications per path",
    "http_concurrency": "keep-alive connections posting to the API",
    "batch": "users per notify_many() call",
    "rounds": "runs of every path, alternating the order",
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


@dataclass
class Target:
    """A running Tocsin server and an app on its database and broker, users logged in."""

    url: str
    app: object
    token: str
    user_ids: dict[str, int]  # user key ("c0", ...) -> id
    server_pid: int | None = None


def title(stamp: int, k: int) -> str:
    return f"t={stamp} #{k}"


def run_path(name: str, target: Target, client, todo, s: Settings) -> dict:
    """Publish `todo` through one path; count rows and receipts; time first publish to last push."""
    client.call("reset")
    held_before = client.call("watch_close", timeout=0)["still_open"]
    cpu_client0 = client.call("cpu")["cpu_s"]
    cpu_server0 = machine.cpu_seconds(target.server_pid) if target.server_pid else None
    (busy0, total0), cpu_self0 = machine.machine_busy(), machine.self_cpu()
    stamp = time.time_ns()
    titles = [title(stamp, k) for k in range(len(todo))]
    items, errors = publish(
        name, target.app, target.url, target.token, todo, titles, s.batch, s.http_concurrency
    )
    published_s = (time.time_ns() - stamp) / 1e9
    result: dict = {
        "path": name,
        "count": len(todo),
        "publish_s": published_s,
        "publish_per_s": len(todo) / published_s,
        "errors": dict(errors),
        "publisher_cpu_percent": 100 * (machine.self_cpu() - cpu_self0) / published_s,
        "held_before": held_before,
    }
    if name != "ceiling":
        got = client.call("tally", items=items, timeout=s.timeout_s, settle=0)
        wall = (time.time_ns() - stamp) / 1e9
        busy1, total1 = machine.machine_busy()
        result["client_cpu_percent"] = 100 * (client.call("cpu")["cpu_s"] - cpu_client0) / wall
        if cpu_server0 is not None:
            result["server_cpu_percent"] = (
                100 * (machine.cpu_seconds(target.server_pid) - cpu_server0) / wall
            )
        result["machine_busy_percent"] = machine.busy_percent(busy1 - busy0, total1 - total0)
        # Again, after a pause: duplicates that arrive late are counted too.
        time.sleep(s.settle_s)
        got = client.call("tally", items=items, timeout=0, settle=0)
        result["held_after"] = client.call("watch_close", timeout=0)["still_open"]
        order = sorted(target.user_ids, key=lambda k: int(k[1:]))  # as the client deals them
        dealt = Counter(order[i % len(order)] for i in range(s.clients))
        result["expected_by_deal"] = sum(dealt[k] for _, k in items)
        arrivals = [ms for _, ms in got.pop("latencies_ms")]
        got.pop("sample", None)
        result.update(got)
        last_push_s = max(arrivals) / 1000 if arrivals else None
        result["last_push_s"] = last_push_s
        result["per_s"] = len(todo) / last_push_s if last_push_s else None
        result["pushes_per_s"] = got["received"] / last_push_s if last_push_s else None
    else:
        busy1, total1 = machine.machine_busy()
        result["machine_busy_percent"] = machine.busy_percent(busy1 - busy0, total1 - total0)
        result["per_s"] = result["publish_per_s"]
    result["committed"] = tocsin_app.count_titled(target.app, f"t={stamp} #")
    result["failures"] = failures(result)
    return result


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
    out += [f"{n} × {kind}" for kind, n in r["errors"].items()]
    return out + [f"{r[what]} {what}" for what in FAILURE_KEYS if r.get(what)]


def measure(target: Target, server, cookies, s: Settings, workdir: Path) -> dict:
    """Hold `s.clients` sockets on the server, warm up, then run every path `s.rounds` times."""
    client = LoadClient(STAMPED, server, cookies, workdir)
    try:
        if s.pinned:  # the server on the first core, the load client on the last one
            machine.pin_apart(target.server_pid, client.proc.pid)
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
            name: run_path(name, target, client, todo[: s.warmup], s)["failures"]
            for name in ("python", "http")
            if name in s.paths
        }
        for rnd in range(s.rounds):
            results = {}
            for name in s.paths if rnd % 2 == 0 else reversed(s.paths):
                results[name] = run_path(name, target, client, todo[: s.count], s)
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
    """A path's figures, rounded, for the console."""
    return json.dumps(
        {k: round(v, 1) if isinstance(v, float) else v for k, v in r.items() if k != "errors"}
    )


def run_backend(backend: str, s: Settings, workdir: Path, schema: str) -> dict:
    """Start the server for `backend` as a deployment would, measure, tear everything down."""
    bdir = workdir / backend
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
    ) as deployed:
        app = deployed.app
        names = {k: username("ingest", k) for k in crowd_keys(s.users)}
        tokens = {"token": "bench-ingest", "counters": True}  # the token's name
        user_ids, token = tocsin_app.create_users_bulk(app, names, **tokens)
        server = deployed.serve(worker_class)
        print(f"== {backend}: {worker_class} worker, broker {broker}; logging in", flush=True)
        cookies = login_all(server.url, names)
        target = Target(server.url, app, token, user_ids, server.worker_pid)
        version = tocsin_app.database_version(app)
        result = measure(target, server, cookies, s, bdir)
        result.update(
            backend=backend,
            worker_class=worker_class,
            broker=broker,
            database_version=version,
            server_log=server.log_excerpt(5),
        )
        server.stop()
    if server.returncode != 0:
        result["master_exit_code"] = server.returncode
    return result


def report_context(data: dict) -> dict:
    every = [r for b in data["backends"] for rnd in b["rounds"] for r in rnd.values()]
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
            {"clients": s.clients, **run_backend(b, s, workdir, schema)}
            for b in args.backends.split(",")
        ]
    data = {
        "settings": asdict(s),
        "backends": results,
        "notes": args.notes.read_text() if args.notes else None,
        # BENCH_GIT_REVISION: set when the bench runs from an exported commit (no .git).
        "machine": machine.stack_info(load_at_start, git=os.environ.get("BENCH_GIT_REVISION")),
    }
    emit(cli.out_dir(args), args.name, data, "ingest", **report_context(data))
    if any(r["failures"] for b in results for rnd in b["rounds"] for r in rnd.values()) or any(
        b["held"] < b["clients"] or b.get("master_exit_code") for b in results
    ):
        sys.exit("some runs failed: see the table")


if __name__ == "__main__":
    main()
