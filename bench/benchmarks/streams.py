"""Event streams against WebSockets: what one gunicorn gevent worker pays per idle connection.

Run: .venv/bin/python -m bench streams [--count 1000] [--runs 3]   (results: sse.md, sse.json)

Issue 15's fallback serves a page whose WebSocket is blocked with `GET
/notifications/stream` (Server-Sent Events). Each run starts one gevent worker
(PostgreSQL, a private Redis, as in production), opens `--count` event streams from one
client thread (bench.harness.holder: bare sockets, a hand-written request each), 100 at
a time, each batch waited for until its snapshots came, and reads the worker's RSS and
its CPU over a window that covers a heartbeat (15 s) and a ping (25 s); then the same
with WebSockets on a fresh worker. Memory per connection is the RSS growth over the
idle worker (warmed up by one connection of each kind) divided by the count.
"""

import os
import statistics
import sys
import time
from urllib.parse import urlsplit

from bench.harness import cli, holder, tocsin_app
from bench.harness.deployment import Deployment
from bench.harness.machine import cpu_percent, proc_stats, raise_nofile, stack_info
from bench.harness.schemas import schema_name
from bench.harness.users import username
from bench.report import emit

PG_SCHEMA = "tocsin_bench_streams"
KINDS = ("sse", "ws")
LABELS = {"sse": "event stream (SSE)", "ws": "WebSocket"}
#: Connections per user: the per-user cap (TOCSIN_MAX_SOCKETS_PER_USER) is off for the bench.
PER_USER = 50
SETTLE_S = 3.0
#: Long enough to see a heartbeat (TOCSIN_SSE_HEARTBEAT, 15 s) and a ping (25 s).
CPU_WINDOW_S = 30.0


def requests(kind: str, url: str, cookies: list[str]) -> list[bytes]:
    host = urlsplit(url).netloc
    if kind == "sse":
        return [holder.stream_request(host, "/notifications/stream", c) for c in cookies]
    return [holder.upgrade_request(host, "/notifications/ws", c, url) for c in cookies]


def measure(kind: str, deployed: Deployment, cookies: list[str], cpu_window: float) -> dict:
    """One worker, `len(cookies)` idle connections of `kind`: held, RSS, CPU."""
    server = deployed.serve("gevent", log=f"gunicorn-{kind}-{time.monotonic_ns()}.log")
    port = urlsplit(server.url).port or 80
    try:
        warm = holder.Holder("127.0.0.1", port, kind == "ws")
        warmed = warm.open(requests(kind, server.url, cookies[:1]))
        warm.close()
        time.sleep(SETTLE_S)
        idle = proc_stats(server.worker_pid)
        idle_cpu = cpu_percent(server.worker_pid, min(5.0, cpu_window))
        crowd = holder.Holder("127.0.0.1", port, kind == "ws")
        started = time.monotonic()
        held = crowd.open(requests(kind, server.url, cookies))
        opened_s = time.monotonic() - started
        time.sleep(SETTLE_S)
        loaded = proc_stats(server.worker_pid)
        cpu = cpu_percent(server.worker_pid, cpu_window)
        still = crowd.held()
        crowd.close()
    finally:
        server.stop()
        deployed.server = None
    grown = loaded["rss_kb"] - idle["rss_kb"]
    return {
        "kind": kind,
        "count": len(cookies),
        "warmed": warmed,
        "held": held,
        "held_after_window": still,
        "open_s": round(opened_s, 2),
        "idle_rss_kb": idle["rss_kb"],
        "loaded_rss_kb": loaded["rss_kb"],
        "kb_per_connection": round(grown / max(held, 1), 2),
        "idle_cpu_percent": round(idle_cpu, 2),
        "held_cpu_percent": round(cpu, 2),
        "threads": loaded["threads"],
        "fds": loaded["fds"],
    }


def summarize(runs: list[dict]) -> list[dict]:
    """Median, min and max of each figure, by kind."""
    rows = []
    for kind in KINDS:
        mine = [r for r in runs if r["kind"] == kind]
        if not mine:
            continue
        row: dict = {"kind": kind, "label": LABELS[kind], "runs": len(mine)}
        for key in ("held", "kb_per_connection", "held_cpu_percent", "idle_cpu_percent", "open_s"):
            values = [r[key] for r in mine]
            row[key] = {
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
            }
        rows.append(row)
    return rows


def ratios(summary: list[dict]) -> dict:
    by = {row["kind"]: row for row in summary}
    if set(by) != set(KINDS):
        return {}
    ws_kb = by["ws"]["kb_per_connection"]["median"] or 1
    ws_cpu = by["ws"]["held_cpu_percent"]["median"] or 1
    return {
        "memory": round(by["sse"]["kb_per_connection"]["median"] / ws_kb, 2),
        "cpu": round(by["sse"]["held_cpu_percent"]["median"] / ws_cpu, 2),
    }


def main() -> None:
    p = cli.parser(__doc__, "sse")
    p.add_argument("--count", type=int, default=1000, help="connections per measurement")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--kinds", default=",".join(KINDS))
    args = p.parse_args()
    cpu_window = CPU_WINDOW_S
    if args.smoke:
        args.count, args.runs, cpu_window = 20, 1, 1.0
    kinds = [k for k in args.kinds.split(",") if k in KINDS]
    raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    runs: list[dict] = []
    users = max(1, -(-args.count // PER_USER))
    with (
        cli.workdir("tocsin-streams-") as workdir,
        Deployment(
            workdir,
            schema_name(PG_SCHEMA, args.smoke),
            prefix=f"bench-streams-{os.getpid()}",
            connections=args.count + 200,
        ) as deployed,
    ):
        deployed.env["TOCSIN_MAX_SOCKETS_PER_USER"] = "0"
        names = {f"u{i}": username("stream", f"u{i}") for i in range(users)}
        ids = list(tocsin_app.create_users(deployed.app, names).values())
        by_user = tocsin_app.session_cookies(deployed.app, ids)
        cookies = [by_user[ids[i % users]] for i in range(args.count)]
        for run in range(1, args.runs + 1):
            for kind in kinds:
                print(f"== run {run}: {args.count} x {kind}", flush=True)
                result = measure(kind, deployed, cookies, cpu_window)
                print(f"   {result}", flush=True)
                runs.append({"run": run, **result})
    summary = summarize(runs)
    failures = [
        f"run {r['run']} {r['kind']}: {r['held']} of {r['count']} held"
        for r in runs
        if r["held"] < r["count"] or r["held_after_window"] < r["held"]
    ]
    data = {
        "settings": {
            "count": args.count,
            "runs": args.runs,
            "users": users,
            "cpu_window_s": cpu_window,
            "worker": "gunicorn gevent, 1 worker",
            "database": "PostgreSQL",
            "broker": "Redis",
        },
        "runs": runs,
        "summary": summary,
        "ratios": ratios(summary),
        "failures": failures,
        "machine": stack_info(load_at_start),
    }
    emit(cli.out_dir(args), args.name, data, "streams")
    if failures:
        sys.exit("some connections were not held: see the report")


if __name__ == "__main__":
    main()
