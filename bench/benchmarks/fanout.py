"""Fan-out of one event to N distinct connected users: time until the last one has it.

Run: .venv/bin/python -m bench fanout [--users 10000] [--rounds 3] [--smoke]

Tocsin is one gevent worker on PostgreSQL with a private Redis; N users each hold one
socket, from one load client process (bench.clients.stamped). Each round, this process
calls `notify_many()` for all N users with `t=<time.time_ns()>` in the title: one
INSERT ... SELECT FROM unnest(), one counter upsert, one commit, one Redis pipeline of N
PUBLISHes; the worker renders and sends each user's push. Peer A gets the same N events
in one Redis pipeline and sends each socket the bytes of a push Tocsin really sent; peer
B gets one emit per user's room. The figure is the time from the stamp until the last
socket had its notification, and every user must get exactly one. Each worker's CPU
from the stamp until the last socket had its push gives pushes per CPU-second.

`--workers 1,2,4` runs Tocsin alone as N gunicorns of one worker each (N machines, in
miniature), on the same schema and the same Redis, the users dealt evenly over them and
one load client per server: last socket, pushes per second and per CPU-second for each N.
"""

import os
import sys
import time
from pathlib import Path

from bench.harness import cli, schemas, tocsin_app
from bench.harness.deployment import Deployment
from bench.harness.driver import STAMPED, LoadClient
from bench.harness.fleet import Fleet, deal, measure, open_clients
from bench.harness.machine import can_pin, pin_apart, raise_nofile, stack_info
from bench.harness.peers import PeerA, PeerB, bench_cookies, peer_a_publisher, peer_b_publisher
from bench.harness.push import push_template
from bench.harness.users import probe_keys, username
from bench.report import emit

PG_SCHEMA = "tocsin_bench_fanout"
PREFIXES = {"tocsin": "bench-tocsin", "peer_a": "bench-peer-a", "peer_b": "bench-peer-b"}
USERS = 10_000
ROUNDS = 3
#: Sockets the --workers runs may fail to open (their users are then expected nowhere).
UNHELD_MAX = 0.05


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
        result = measure([client], [server.worker_pid], fanout, args.rounds, profile=profile)
        result["opened"] = opened
        return result, client.call("tally", items=[], timeout=0, settle=0)["sample"]
    finally:
        client.quit()


def run_workers(deployed, cookies, fanout, order, args, workdir) -> dict:
    """For each N of --workers: N one-worker gunicorns behind one Redis, the users dealt
    evenly over them, one load client each (no pinning: N workers and N clients share
    the cores); every round checked exactly-once as with one server."""
    results = {}
    for n in args.workers:
        print(f"== Tocsin on {n} worker process(es): opening {args.users:,} sockets", flush=True)
        fleet = Fleet(deployed.env, n, workdir)
        clients = []
        try:
            groups = deal(order, n)
            shares = [{k: cookies[k] for k in group} for group in groups]
            clients, opened = open_clients(fleet.servers, shares, workdir)
            print(f"   {opened}", flush=True)
            # A handshake or two timing out thrice on a busy 2-core box does not void the
            # run: a user without a socket is expected nowhere, and the rates use `received`.
            if opened["held"] < args.users * (1 - UNHELD_MAX):  # this N failed; on to the next
                result = {"failures": [f"only {opened['held']} sockets held"], "rounds": []}
            else:
                owner = {k: i for i, group in enumerate(groups) for k in group}
                result = measure(clients, fleet.pids, fanout, args.rounds, owner)
            result["opened"], result["db_pool"] = opened, fleet.pool
        finally:
            for client in clients:
                client.quit()
            codes = fleet.stop()
        result["master_exit"] = codes
        result["failures"] += [f"a master exited {c}" for c in codes if c != 0]
        results[str(n)] = result
    return results


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "fanout")
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--servers", default="tocsin,peer_a,peer_b")
    parser.add_argument(
        "--profile", type=Path, help="py-spy Tocsin's worker over the timed rounds into this file"
    )
    parser.add_argument(
        "--workers",
        type=lambda v: [int(n) for n in v.split(",")],
        help="e.g. 1,2,4: Tocsin alone on N one-worker servers behind one Redis, each N",
    )
    parser.set_defaults(name=None)
    args = parser.parse_args(argv)
    args.name = args.name or ("fanout-workers" if args.workers else "fanout")
    if args.smoke:
        args.users, args.rounds = 20, 1
    servers = [] if args.workers else args.servers.split(",")
    args.pinned = not args.no_pin and not args.smoke and can_pin()
    schema = schemas.schema_name(PG_SCHEMA, args.smoke)
    raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    results: dict[str, dict] = {}
    by_workers: dict[str, dict] = {}
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
            order = list(ids)

            def fanout(stamp: int) -> list[list]:
                new = tocsin_app.fan_out(app, [ids[k] for k in order], f"t={stamp}")
                return [[nid, k] for nid, k in zip(new, order, strict=True)]

            cookies = {k: by_id[uid] for k, uid in ids.items()}
            if args.workers:
                by_workers = run_workers(deployed, cookies, fanout, order, args, workdir)
            if "tocsin" in servers:
                server = deployed.serve()
                server.name = "Tocsin"
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
            "workers": args.workers,
        },
        "servers": results,
        "workers": by_workers,
        "machine": stack_info(load_at_start),
    }
    emit(cli.out_dir(args), args.name, data, "fanout")
    if any(r["failures"] for r in [*results.values(), *by_workers.values()]):
        sys.exit("some runs failed: see the table")


if __name__ == "__main__":
    main()
