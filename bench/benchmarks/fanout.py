"""Fan-out of one event to N distinct connected users: time until the last one has it.

Run: .venv/bin/python -m bench fanout [--users 10000] [--rounds 3] [--smoke]

Tocsin is one gevent worker on PostgreSQL with a private Redis; N users each hold one
socket, from one load client process (bench.clients.stamped). Each round, this process
calls `notify_many()` for all N users with `t=<time.time_ns()>` in the title: one
INSERT ... SELECT FROM unnest(), one counter upsert, one commit, one Redis pipeline of N
PUBLISHes; the worker renders and sends each user's push. Peer A gets the same N events
in one Redis pipeline and sends each socket the bytes of a push Tocsin really sent; peer
B gets one emit per user's room. The figure is the time from the stamp until the last
socket had its notification, and every user must get exactly one.
"""

import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import cli, schemas, tocsin_app
from bench.harness.deployment import Deployment
from bench.harness.driver import STAMPED, LoadClient
from bench.harness.machine import can_pin, cpu_seconds, pin_apart, raise_nofile, stack_info
from bench.harness.peers import PeerA, PeerB, bench_cookies, peer_a_publisher, peer_b_publisher
from bench.harness.push import push_template
from bench.harness.stats import summary
from bench.harness.users import probe_keys, username
from bench.report import emit
from bench.report.formats import fmt_ms

PG_SCHEMA = "tocsin_bench_fanout"
PREFIXES = {"tocsin": "bench-tocsin", "peer_a": "bench-peer-a", "peer_b": "bench-peer-b"}
USERS = 10_000
ROUNDS = 3
TIMEOUT_S = 60.0
SETTLE_S = 1.0
FAILURE_KEYS = ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped")


def profiler(pid: int, out: Path) -> subprocess.Popen:
    """py-spy sampling `pid` into `out` (raw collapsed stacks) until it gets SIGINT."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--rate", "250", "--nonblocking"]
        + ["--format", "raw", "-o", str(out)],
        stdout=subprocess.DEVNULL,
    )


def measure(client, fanout, rounds: int, server_pid, profile: Path | None = None) -> dict:
    """`rounds` fan-outs to every user, one after the other; exactly once each.

    `fanout(stamp)` publishes to every user and returns the [id, user key] pairs.
    """
    runs, failures = [], []
    spy = None
    for r in range(rounds + 1):  # the first round warms up
        if r == 1 and profile:
            spy = profiler(server_pid, profile)
            time.sleep(1)  # py-spy attaches
        client.call("reset")
        cpu0 = cpu_seconds(server_pid)
        stamp = time.time_ns()
        start = time.perf_counter()
        items = fanout(stamp)
        call_s = time.perf_counter() - start
        got = client.call("tally", items=items, timeout=TIMEOUT_S, settle=SETTLE_S)
        server_cpu_s = cpu_seconds(server_pid) - cpu0
        lat = [ms for _, ms in got.pop("latencies_ms")]
        got.pop("sample", None)
        row = {
            "round": r,
            "warmup": r == 0,
            "call_ms": call_s * 1000,
            "last_ms": max(lat) if lat else None,
            "latency_ms": summary(lat),
            "server_cpu_s": server_cpu_s,
            **got,
        }
        failures += [f"round {r}: {got[what]} {what}" for what in FAILURE_KEYS if got[what]]
        runs.append(row)
        print(f"   round {r}: {brief(row)}", flush=True)
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    timed = [row for row in runs if not row["warmup"]]
    lasts = [row["last_ms"] for row in timed if row["last_ms"] is not None]
    return {
        "rounds": runs,
        "failures": failures,
        "last_ms_median": statistics.median(lasts) if lasts else None,
        "call_ms_median": statistics.median(row["call_ms"] for row in timed),
        "p50_ms_median": statistics.median(row["latency_ms"].get("p50_ms", 0) for row in timed),
        "server_cpu_s_median": statistics.median(row["server_cpu_s"] for row in timed),
    }


def brief(row: dict) -> str:
    return (
        f"call {row['call_ms']:.0f} ms, last {fmt_ms(row['last_ms'])} ms, "
        f"p50 {fmt_ms(row['latency_ms'].get('p50_ms'))} ms, "
        f"server CPU {row['server_cpu_s']:.2f} s, "
        f"received {row['received']}/{row['expected']}, lost {row['lost']}, "
        f"duplicated {row['duplicated']}"
    )


def run(server, cookies, fanout, args, workdir, profile=None) -> tuple[dict, list | None]:
    """Open one socket per user on `server`, then `measure`; return it and a push sample."""
    client = LoadClient(STAMPED, server, cookies, workdir)
    try:
        if args.pinned:
            pin_apart(server.worker_pid, client.proc.pid)
        print(f"== {server.name}: opening {args.users:,} sockets", flush=True)
        start = time.monotonic()
        opened = client.call("open", total=args.users)
        opened.pop("handshake_s", None)
        opened["open_s"] = time.monotonic() - start
        if opened["held"] < args.users:
            raise RuntimeError(
                f"only {opened['held']} of {args.users} sockets held: {opened['errors']}"
            )
        print(f"   {opened}", flush=True)
        result = measure(client, fanout, args.rounds, server.worker_pid, profile)
        result["opened"] = opened
        return result, client.call("tally", items=[], timeout=0, settle=0)["sample"]
    finally:
        client.quit()


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "fanout")
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--servers", default="tocsin,peer_a,peer_b")
    parser.add_argument(
        "--profile", type=Path, help="py-spy Tocsin's worker over the timed rounds into this file"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.users, args.rounds = 20, 1
    servers = args.servers.split(",")
    args.pinned = not args.no_pin and not args.smoke and can_pin()
    schema = schemas.schema_name(PG_SCHEMA, args.smoke)
    raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    results: dict[str, dict] = {}
    template = None
    with (
        cli.workdir("tocsin-fanout-") as workdir,
        Deployment(
            workdir, schema, prefix=PREFIXES["tocsin"], connections=args.users + 100
        ) as deployed,
    ):
        peer = None
        try:
            app, redis_url = deployed.app, deployed.redis_url
            print(f"== creating {args.users:,} users", flush=True)
            names = {k: username("fan", k) for k in probe_keys(args.users)}
            ids, _ = tocsin_app.create_users_bulk(app, names)
            by_id = tocsin_app.session_cookies(app, list(ids.values()))
            if "tocsin" in servers:
                server = deployed.serve()
                server.name = "Tocsin"
                order = list(ids)

                def fanout(stamp: int) -> list[list]:
                    new = tocsin_app.fan_out(app, [ids[k] for k in order], f"t={stamp}")
                    return [[nid, k] for nid, k in zip(new, order, strict=True)]

                cookies = {k: by_id[uid] for k, uid in ids.items()}
                results["tocsin"], sample = run(
                    server, cookies, fanout, args, workdir, args.profile
                )
                template = push_template(sample) if sample else None
                server.stop()
            if template:
                (workdir / "push.html").write_text(template)
            path = workdir / "push.html" if template else None
            if "peer_a" in servers:
                peer = PeerA(redis_url, PREFIXES["peer_a"], template=path)
                publish = peer_a_publisher(redis_url, PREFIXES["peer_a"], ids)
                peer.name = "peer A"
                results["peer_a"], _ = run(
                    peer, bench_cookies(ids), publish.broadcast, args, workdir
                )
                publish.close()
                peer.stop()
            if "peer_b" in servers:
                peer = PeerB(redis_url, PREFIXES["peer_b"], template=path)
                publish = peer_b_publisher(redis_url, PREFIXES["peer_b"], template)
                peer.name = "peer B"

                def emit_each(stamp: int) -> list[list]:  # one emit per user's room
                    return [[publish(uid, stamp), k] for k, uid in ids.items()]

                results["peer_b"], _ = run(peer, bench_cookies(ids), emit_each, args, workdir)
                publish.close()
        finally:
            if peer is not None:
                peer.stop()
    data = {
        "settings": {
            "users": args.users,
            "rounds": args.rounds,
            "pinned": args.pinned,
            "peer_template": template,
            "database": "PostgreSQL",
            "broker": "Redis",
        },
        "servers": results,
        "machine": stack_info(load_at_start),
    }
    emit(cli.out_dir(args), args.name, data, "fanout")
    if any(r["failures"] for r in results.values()):
        sys.exit("some runs failed: see the table")


if __name__ == "__main__":
    main()
