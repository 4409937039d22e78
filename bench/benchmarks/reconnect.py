"""Reconnect storm: kill the worker under 1,000 sockets; time until they are back, count misses.

Run: .venv/bin/python -m bench reconnect [--sockets 1000] [--users 50] [--rate 10]
     [--signals KILL,TERM] [--peers a,b] [--smoke]

Tocsin runs as in production: one gevent worker on PostgreSQL with a private Redis. A load
client process (bench.clients.storm) holds the sockets over users logged in over HTTP and
reconnects each like the htmx ws extension with Tocsin's page settings. This process
publishes through `service.create()` to random users at a steady rate for the whole run,
then kills the worker (SIGKILL: a crash; SIGTERM: a graceful restart with 1012) and
measures the time until 50 %, 99 % and 100 % of the sockets had a new snapshot
(bench.harness.storm). Then every socket's page model is checked against the database
(every notification down to its latest snapshot's oldest, once; the badge right). Peers A
and B get the same storm; they keep nothing, so what they miss is counted.
"""

import json
import os
import shutil
import signal
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.harness import cli, tocsin_app
from bench.harness.deployment import Deployment
from bench.harness.driver import STORM, LoadClient
from bench.harness.machine import can_pin, cores, raise_nofile, stack_info
from bench.harness.peers import PeerB, bench_cookies, peer_a_publisher, peer_b_publisher
from bench.harness.schemas import schema_name
from bench.harness.storm import GunicornTarget, Publisher, RestartedPeerA, storm
from bench.harness.storm_checks import away_pairs, check_peer, timing
from bench.harness.users import login_all, username
from bench.report import emit

PG_SCHEMA = "tocsin_bench_reconnect"
TOCSIN_PREFIX = "bench-reconnect"
PEER_PREFIX = "bench-reconnect-peer-a"
SIGNALS = {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM}
CHECKED = ("missed", "duplicated", "unknown_ids", "badge_wrong", "counter_row_wrong")
BRIEF = (
    "held_at_kill back dropped_again close_codes gave_up new_forked_ms first_back_ms back_50_ms "
    "back_99_ms back_100_ms failed_handshakes failed_by_error published away_pairs missed "
    "duplicated badge_wrong failures"
)


@dataclass
class Settings:
    sockets: int = 1000
    users: int = 50
    #: Publishes per second, to random users, for the whole run.
    rate: float = 10.0
    #: Publishing threads (each at rate / publishers), as concurrent web requests would be.
    publishers: int = 1
    #: Notifications each user has before the run: a full first page to render.
    seed: int = 25
    before_s: float = 3.0
    after_s: float = 3.0
    back_timeout_s: float = 90.0
    settle_s: float = 1.0
    backoff: str = "tocsin"
    pinned: bool = True
    page_size: int = 20


def user_keys(users: int) -> list[str]:
    return [f"u{i:03d}" for i in range(users)]


def check_tocsin(raw: dict, app, user_ids: dict[str, int], page_size: int) -> dict:
    """Every socket's page against the database: nothing missing, nothing twice, badge right."""
    rows = tocsin_app.rows(app, "SELECT user_id, id FROM tocsin_notifications")
    unread = dict(
        tocsin_app.rows(
            app,
            "SELECT user_id, count(*) FROM tocsin_notifications "
            "WHERE read_at IS NULL GROUP BY user_id",
        )
    )
    counters = dict(tocsin_app.rows(app, "SELECT user_id, unread FROM tocsin_unread_counters"))
    ids_of: dict[int, set[int]] = defaultdict(set)
    for uid, nid in rows:
        ids_of[uid].add(nid)
    by_user = defaultdict(list)
    for nid, key, start, end in raw["records"]:
        by_user[key].append((nid, start, end))
    published = {nid for nid, *_ in raw["records"]}
    committed = set().union(*ids_of.values()) if ids_of else set()
    kill_at, end = raw["kill"]["at"], max((r[3] for r in raw["records"]), default=0)
    missed = duplicated = extra = badge_wrong = not_connected = away = 0
    examples: list[dict] = []
    for i, tab in enumerate(raw["tabs"]):
        uid = user_ids[tab["user"]]
        snap = tab["snapshot_ids"]
        # A full snapshot page ends at its oldest item; older ones are behind "load more".
        lower = min(snap) if len(snap) >= page_size else 0
        lost = sorted({nid for nid in ids_of[uid] if nid >= lower} - set(tab["ids"]))
        unknown = sorted(set(tab["ids"]) - ids_of[uid])
        missed, extra = missed + len(lost), extra + len(unknown)
        duplicated += len(tab["duplicates"])
        right = unread.get(uid, 0)
        badge_wrong += tab["badge"] != right
        not_connected += not tab["connected"]
        away += away_pairs(tab, kill_at, by_user, end)
        if (lost or unknown or tab["duplicates"] or tab["badge"] != right) and len(examples) < 10:
            example = {"socket": i, "user": tab["user"], "missed": lost, "unknown": unknown}
            example |= {"duplicates": tab["duplicates"], "badge": tab["badge"], "db_unread": right}
            opens = [round(o - kill_at, 3) for o in tab["opens"] if o > kill_at]
            examples.append(example | {"snapshot_oldest": lower, "opens_after_kill": opens})
    return {
        "published": len(published),
        "published_not_committed": len(published - committed),
        "away_pairs": away,
        "missed": missed,
        "duplicated": duplicated,
        "unknown_ids": extra,
        "badge_wrong": badge_wrong,
        "counter_row_wrong": sum(counters.get(u, 0) != unread.get(u, 0) for u in user_ids.values()),
        "not_connected_at_end": not_connected,
        "examples": examples,
    }


def run_round(target, cookies, publish, user_ids, sig_name: str, st: Settings, workdir, check):
    """One storm against one target with a fresh client; its timing and its check."""
    client = LoadClient(
        STORM, target, cookies, workdir, True, target.protocol, "--backoff", st.backoff
    )
    publisher = Publisher(publish, user_ids, st.rate, st.publishers)
    try:
        raw = storm(target, client, publisher, SIGNALS[sig_name], st)
    finally:
        publisher.stop()
        client.quit()
    result = {
        "server": target.name,
        "signal": f"SIG{sig_name}",
        "opened": dict(raw["opened"]),
        "storm_client_cpu_percent": raw["storm_client_cpu_percent"],
        "settled": raw["settled"],
        "publish_errors": len(raw["publish_errors"]),
        **timing(raw),
        **check(raw),
    }
    failures = []
    if raw["opened"]["held"] < st.sockets:
        failures.append(f"{st.sockets - raw['opened']['held']} sockets never opened")
    failures += [f"{result[k]} {k.replace('_', ' ')}" for k in CHECKED if result.get(k)]
    if result["back"] < result["held_at_kill"]:
        failures.append(f"{result['held_at_kill'] - result['back']} sockets not back")
    if result["publish_errors"]:
        failures.append(f"{result['publish_errors']} publishes failed")
    result["failures"] = failures
    print(f"   {json.dumps({k: result.get(k) for k in BRIEF.split()}, default=str)}", flush=True)
    return result


def peer_rounds(name: str, redis_url: str, signals, st: Settings, workdir) -> list[dict]:
    """Peer A (killed, started again on its port) or B (its worker killed): the same storm."""
    user_ids = {k: i + 1 for i, k in enumerate(user_keys(st.users))}
    rows = []
    for sig in signals:
        print(f"== peer {name.upper()}, SIG{sig}", flush=True)
        if name == "a":
            core = cores()[0] if st.pinned else None
            peer = target = RestartedPeerA(redis_url, PEER_PREFIX, core=core)
            publish = peer_a_publisher(redis_url, PEER_PREFIX)
        else:
            prefix = f"bench-reconnect-peer-b-{sig.lower()}"
            peer = PeerB(redis_url, prefix, worker_connections=st.sockets + 200)
            target = GunicornTarget("peer_b", peer, st.pinned, "socketio")
            publish = peer_b_publisher(redis_url, prefix)
        try:
            row = run_round(
                target, bench_cookies(user_ids), publish, user_ids, sig, st, workdir, check_peer
            )
        finally:
            peer.stop()
            publish.close()
        # A peer keeps nothing: losses and sockets left offline are the finding, shown in the
        # table, not a failure of the run.
        row["failures"] = [f for f in row["failures"] if "missed" not in f and "not back" not in f]
        rows.append(row)
    return rows


def ratios(runs: list[dict]) -> list[dict]:
    """Tocsin's time to 50 % and 99 % back over each peer's, per signal."""
    out = []
    for sig in dict.fromkeys(r["signal"] for r in runs):
        ours = next((r for r in runs if r["server"] == "tocsin" and r["signal"] == sig), None)
        for peer in (r for r in runs if r["server"] != "tocsin" and r["signal"] == sig):
            if ours is None:
                continue
            row = {"signal": sig, "peer": peer["server"]}
            for key, n in (("ratio_50", "back_50_ms"), ("ratio_99", "back_99_ms")):
                row[key] = ours[n] / peer[n] if ours[n] is not None and peer[n] else None
            out.append(row)
    return out


def main(argv: list[str] | None = None) -> None:
    d = Settings()
    parser = cli.parser(__doc__, "reconnect")
    for flag, kind, default, what in (
        ("--sockets", int, d.sockets, "sockets held"),
        ("--users", int, d.users, "users the sockets are dealt over"),
        ("--rate", float, d.rate, "publishes per second"),
        ("--publishers", int, d.publishers, "publishing threads"),
        ("--seed", int, d.seed, "notifications per user at start"),
        ("--before", float, d.before_s, "seconds before the kill"),
        ("--after", float, d.after_s, "seconds after all are back"),
        ("--back-timeout", float, d.back_timeout_s, "seconds to wait for every socket"),
    ):
        parser.add_argument(flag, type=kind, default=default, help=what)
    parser.add_argument("--signals", default="KILL,TERM", help="KILL and/or TERM")
    parser.add_argument("--peers", default="a,b", help="'a,b', 'a', or '' for Tocsin alone")
    parser.add_argument("--backoff", choices=("tocsin", "htmx"), default=d.backoff)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--keep-log", type=Path, help="copy gunicorn's log here")
    parser.add_argument("--note", action="append", default=[], help="a note for the results")
    args = parser.parse_args(argv)
    if args.smoke:  # ten sockets over two users, one SIGKILL, a full first page each
        args.sockets, args.users, args.rate, args.signals, args.peers = 10, 2, 20.0, "KILL", ""
        args.before = args.after = 0.5
        args.back_timeout = 30.0
    signals = [s.strip().upper() for s in args.signals.split(",") if s.strip()]
    st = Settings(
        sockets=args.sockets,
        users=args.users,
        rate=args.rate,
        publishers=args.publishers,
        seed=args.seed,
        before_s=args.before,
        after_s=args.after,
        back_timeout_s=args.back_timeout,
        settle_s=0.3 if args.smoke else d.settle_s,
        backoff=args.backoff,
        pinned=not args.no_pin and not args.smoke and can_pin(),
    )
    raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    runs: list[dict] = []
    with (
        cli.workdir("tocsin-reconnect-") as workdir,
        Deployment(
            workdir,
            schema_name(PG_SCHEMA, args.smoke),
            prefix=TOCSIN_PREFIX,
            connections=st.sockets + 200,
        ) as deployed,
    ):
        app = deployed.app
        st.page_size = app.config["TOCSIN_PAGE_SIZE"]
        if args.smoke:
            st.seed = st.page_size + 2  # a full first page: the check starts at its oldest
        names = {k: username("storm", k) for k in user_keys(st.users)}
        user_ids = tocsin_app.create_users(app, names)
        tocsin_app.seed(app, user_ids, st.seed)
        server = deployed.serve()
        print("== logging in", flush=True)
        cookies = login_all(server.url, names)
        target = GunicornTarget("tocsin", server, st.pinned)
        for sig in signals:
            print(f"== Tocsin, SIG{sig}", flush=True)
            runs.append(
                run_round(
                    target,
                    cookies,
                    tocsin_app.publisher(app),
                    user_ids,
                    sig,
                    st,
                    workdir,
                    lambda raw: check_tocsin(raw, app, user_ids, st.page_size),
                )
            )
        for peer in (p for p in args.peers.split(",") if p):
            runs += peer_rounds(peer, deployed.redis_url, signals, st, workdir)
        server.stop()
        if args.keep_log:
            shutil.copy(server.log, args.keep_log)
    if server.returncode != 0:
        runs[0]["failures"].append(f"gunicorn's master exited with {server.returncode}")
    data = {
        "settings": asdict(st)
        | {"signals": signals, "database": "PostgreSQL", "broker": "Redis", "notes": args.note},
        "runs": runs,
        "ratios": ratios(runs),
        "machine": stack_info(load_at_start),
    }
    emit(cli.out_dir(args), args.name, data, "reconnect")
    if any(r["failures"] for r in runs):
        sys.exit("some runs failed: see the table")


if __name__ == "__main__":
    main()
