"""Publish-to-receipt latency, targeted and broadcast: Tocsin against peers A, A+ and B.

Run: .venv/bin/python -m bench latency [--clients 1000] [--publishes 200] [--repeat 3] [--smoke]

Tocsin is one gevent worker on PostgreSQL with a private Redis; peer A
(bench.peers.raw_ws), peer A+ (peer A whose publisher commits each row in PostgreSQL
first) and peer B (Flask-SocketIO) run on the same Redis. A load client
process (bench.clients.stamped) holds N sockets: PROBES probe users with one socket each,
the rest dealt over a crowd. This process publishes to a random probe every 10-20 ms
(or to everyone, broadcast), stamping `time.time_ns()` into the notification; the client
reads the stamp on receipt. Every notification must reach its user's sockets exactly
once and no other socket.
"""

import json
import os
import random
import subprocess
import sys
import time

from bench.harness import cli, schemas, tocsin_app
from bench.harness.deployment import Deployment
from bench.harness.driver import STAMPED, LoadClient
from bench.harness.machine import can_pin, cpu_seconds, pin_apart, raise_nofile, stack_info
from bench.harness.peer_a_plus import PeerAPlus, peer_a_plus_publisher
from bench.harness.peers import PeerA, PeerB, bench_cookies, peer_a_publisher, peer_b_publisher
from bench.harness.push import push_template
from bench.harness.repeats import aggregate
from bench.harness.stats import summary
from bench.harness.users import crowd_keys, login_all, probe_keys, username
from bench.report import emit

PG_SCHEMA = "tocsin_bench_latency"
CLIENTS = (100, 1000, 5000)
MODES = ("targeted", "broadcast")
PUBLISHES = 500
SPACING_S = (0.010, 0.020)
#: Broadcasts per run, and the room between them per 1,000 sockets.
BROADCASTS = 30
BROADCAST_SPACING_S = (0.2, 0.4)
PROBES = 5
USERS = 20
WARMUP = 5
SETTLE_S = 0.5
TIMEOUT_S = 15.0
PREFIXES = {
    "tocsin": "bench-tocsin",
    "peer_a": "bench-peer-a",
    "peer_a_plus": "bench-peer-a-plus",
    "peer_b": "bench-peer-b",
}
SERVERS = tuple(PREFIXES)
FAILURE_KEYS = ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped")


def measure(client, publish, user_ids, clients, publishes, spacing, broadcast=False) -> dict:
    """Publish to random probes (or to everyone, `broadcast`) on the open sockets; return
    latency and exactly-once."""
    probes = [k for k in user_ids if k.startswith("p")][: min(PROBES, clients)]
    warm = [[publish(user_ids[k], time.time_ns()), k] for k in probes[:WARMUP]]
    warmup = client.call("tally", items=warm, timeout=TIMEOUT_S, settle=0)
    client.call("reset")
    rows0 = publish.rows() if hasattr(publish, "rows") else None  # peer A+: committed rows
    items, publish_s, calls = [], {}, []
    cpu0, server0 = client.call("cpu"), cpu_seconds(client.server_pid)
    for _ in range(publishes):
        start = time.perf_counter()
        if broadcast:
            pairs = publish.broadcast(time.time_ns())
        else:
            key = random.choice(probes)
            pairs = [[publish(user_ids[key], time.time_ns()), key]]
        took = time.perf_counter() - start
        calls.append(took)
        for nid, key in pairs:
            publish_s[nid] = took
            items.append([nid, key])
        if spacing[1] > 0:
            time.sleep(random.uniform(*spacing))
    cpu1 = client.call("cpu")
    wall = cpu1["monotonic"] - cpu0["monotonic"]
    server_cpu = (cpu_seconds(client.server_pid) - server0) / wall
    got = client.call("tally", items=items, timeout=TIMEOUT_S, settle=SETTLE_S)
    lat = [ms for _, ms in got["latencies_ms"]]
    # What is left once the publish call returned (for Tocsin: after the commit).
    after_call = [ms - publish_s[nid] * 1000 for nid, ms in got.pop("latencies_ms")]
    failures = []
    if client.opened["held"] < clients:
        failures.append(
            f"{clients - client.opened['held']} sockets not held {client.opened['errors']}"
        )
    failures += [f"{got[what]} {what}" for what in FAILURE_KEYS if got[what]]
    if warmup["lost"]:
        failures.append(f"{warmup['lost']} lost in the warm-up")
    rows = {}
    if rows0 is not None:
        rows = {"rows_committed": publish.rows() - rows0, "rows_expected": len(items)}
        if rows["rows_committed"] != len(items):
            failures.append(f"{rows['rows_committed']} rows committed for {len(items)} ids")
    return {
        "clients": clients,
        "mode": "broadcast" if broadcast else "targeted",
        "failures": failures,
        "held": client.opened["held"],
        "handshake_failed": client.opened["failed"],
        "warmup_lost": warmup["lost"],
        "publishes": publishes,
        **got,
        **rows,
        "latency_ms": summary(lat),
        "after_publish_call_ms": summary(after_call),
        "publish_call_ms": summary([s * 1000 for s in calls]),
        "client_cpu_percent": 100 * (cpu1["cpu_s"] - cpu0["cpu_s"]) / wall,
        "server_cpu_percent": 100 * server_cpu,
        "publish_window_s": wall,
    }


def run(server, publish, user_ids, cookies, clients, args, workdir) -> dict:
    """Open `clients` sockets on `server`, then `measure` each mode on them: {mode: result}."""
    client = LoadClient(STAMPED, server, cookies, workdir)
    client.server_pid = server.worker_pid
    try:
        if args.pinned:  # the server on the first core, the load client on the last one
            pin_apart(server.worker_pid, client.proc.pid)
        client.opened = client.call("open", total=clients)
        results = {}
        for mode in args.modes:
            wide = mode == "broadcast"
            spacing = args.spacing
            if wide and spacing[1] > 0:  # each broadcast is a push to every socket
                scale = max(clients, 100) / 1000
                spacing = tuple(s * scale for s in BROADCAST_SPACING_S)
            n = min(args.publishes, BROADCASTS) if wide else args.publishes
            results[mode] = measure(client, publish, user_ids, clients, n, spacing, wide)
        return results
    finally:
        client.quit()


def start_peer(name: str, redis_url: str, template, problems: list[str]):
    """Start peer `name`'s server, sending the push in the file `template`."""
    if name == "peer_b":
        peer = PeerB(redis_url, PREFIXES[name], template)
        if not peer.refuses_anonymous():
            problems.append("peer B accepted a socket without a user")
        return peer
    return (PeerAPlus if name == "peer_a_plus" else PeerA)(
        redis_url, PREFIXES[name], template=template
    )


def peer_publisher(name: str, redis_url: str, template: str, peer_ids: dict, db_url: str):
    if name == "peer_a":
        return peer_a_publisher(redis_url, PREFIXES[name], peer_ids)
    if name == "peer_a_plus":  # its rows land in the benchmark's schema, dropped after
        return peer_a_plus_publisher(redis_url, PREFIXES[name], db_url, peer_ids)
    return peer_b_publisher(redis_url, PREFIXES[name], template, peer_ids)


def failures_of(data: dict) -> list[str]:
    return [
        f"{row['clients']} clients (run {row.get('repeat', 1)}), {name} {mode}: "
        f"{'; '.join(r['failures'])}"
        for row in data["runs"]
        for name in SERVERS
        for mode, r in row.get(name, {}).items()
        if r["failures"]
    ]


def totals(data: dict) -> dict:
    every = [r for row in data["runs"] for n in SERVERS for r in row.get(n, {}).values()]
    return {k: sum(r[k] for r in every) for k in ("lost", "duplicated")}


def brief(r: dict) -> str:
    keys = (
        "failures",
        "held",
        "expected",
        "received",
        "lost",
        "duplicated",
        "misdelivered",
        "unexpected_ids",
        "client_cpu_percent",
        "server_cpu_percent",
        "rows_committed",
    )
    return json.dumps({**{k: r[k] for k in keys if k in r}, "latency": r["latency_ms"]})


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "latency")
    parser.add_argument("--clients", default=",".join(map(str, CLIENTS)))
    parser.add_argument("--publishes", type=int, default=PUBLISHES)
    parser.add_argument("--no-pin", action="store_true", help="leave server and client on any core")
    parser.add_argument("--modes", default=",".join(MODES), help="targeted,broadcast")
    parser.add_argument("--peers", default=",".join(SERVERS[1:]), help="or fewer, or empty")
    parser.add_argument("--repeat", type=int, default=1, help="runs of every size (median)")
    parser.add_argument("--schema", default=PG_SCHEMA, help="for runs side by side on one server")
    args = parser.parse_args(argv)
    if args.smoke:  # the 5 probe users plus one crowd socket, which must receive nothing
        args.clients, args.publishes = "6", 10
    counts = [int(c) for c in args.clients.split(",")]
    args.modes = [m for m in args.modes.split(",") if m]
    args.spacing = (0, 0) if args.smoke else SPACING_S
    args.pinned = not args.no_pin and not args.smoke and can_pin()
    servers = ["tocsin", *(p for p in args.peers.split(",") if p)]
    if set(servers) - set(SERVERS) or args.repeat < 1:
        parser.error(f"--peers: any of {SERVERS[1:]}; --repeat: at least 1")
    schema = schemas.schema_name(args.schema, args.smoke)
    raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    runs, template, problems = [], None, []
    with (
        cli.workdir("tocsin-latency-") as workdir,
        Deployment(
            workdir, schema, prefix=PREFIXES["tocsin"], connections=max(counts) + 100
        ) as deployed,
    ):
        peers = {}
        try:
            app, redis_url = deployed.app, deployed.redis_url
            names = {k: username("lat", k) for k in probe_keys(PROBES) + crowd_keys(USERS)}
            user_ids = tocsin_app.create_users(app, names)
            deployed.env["TOCSIN_MAX_SOCKETS_PER_USER"] = "0"  # the cap, 20, evicts: 50 a user
            server = deployed.serve()
            print("== logging in", flush=True)
            cookies = login_all(server.url, names)
            for repeat, clients in ((r, c) for r in range(1, args.repeat + 1) for c in counts):
                row = {"clients": clients, "repeat": repeat}
                print(f"== {clients} clients (run {repeat}): Tocsin", flush=True)
                publish = tocsin_app.publisher(app, user_ids)
                row["tocsin"] = run(server, publish, user_ids, cookies, clients, args, workdir)
                sample = next(r["sample"] for r in row["tocsin"].values() if r.get("sample"))
                if template is None:  # the peers send a push Tocsin really sent
                    template = push_template(sample)
                    (workdir / "push.html").write_text(template)
                # The peers' users: as many as Tocsin's sockets are dealt over, no login.
                keys = probe_keys(PROBES) + crowd_keys(min(USERS, clients))
                peer_ids = {k: i + 1 for i, k in enumerate(keys)}
                peer_cookies = bench_cookies(peer_ids)
                for name in servers[1:]:
                    if name not in peers:
                        peers[name] = start_peer(name, redis_url, workdir / "push.html", problems)
                    print(f"== {clients} clients (run {repeat}): {name}", flush=True)
                    publish = peer_publisher(name, redis_url, template, peer_ids, deployed.db_url)
                    try:
                        row[name] = run(
                            peers[name], publish, peer_ids, peer_cookies, clients, args, workdir
                        )
                    finally:
                        publish.close()
                for name in SERVERS:
                    for r in row.get(name, {}).values():
                        r.pop("sample", None)
                        print(f"   {name} {r['mode']}: {brief(r)}", flush=True)
                runs.append(row)
        finally:
            for p in peers.values():
                p.stop()
    if server.returncode != 0:
        problems.append(f"gunicorn's master exited with {server.returncode}")
    data = {
        "settings": {
            "clients": counts,
            "modes": args.modes,
            "servers": servers,
            "publishes": args.publishes,
            "repeat": args.repeat,
            "broadcasts": BROADCASTS,
            "broadcast_spacing_s_per_1000": BROADCAST_SPACING_S,
            "spacing_s": args.spacing,
            "probes": PROBES,
            "crowd_users": USERS,
            "pinned": args.pinned,
            "peer_template": template,
            "database": "PostgreSQL",
            "broker": "Redis",
        },
        "runs": runs,
        "aggregate": aggregate(runs, servers, args.modes),
        "chart": f"{args.name}.svg",
        "machine": stack_info(load_at_start),
    }
    out = cli.out_dir(args)
    emit(out, args.name, data, "latency", failures=failures_of(data), totals=totals(data))
    if out is not None and not args.smoke:  # the chart needs the bench extra (matplotlib)
        subprocess.run(
            [sys.executable, "-m", "bench.report.chart", str(out / f"{args.name}.json")], check=True
        )
    if failures_of(data) or problems:
        sys.exit("some runs failed: see the table " + "; ".join(problems))


if __name__ == "__main__":
    main()
