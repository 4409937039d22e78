"""Fan-out of one event to N distinct connected users: time until the last one has it.

Run: .venv/bin/python -m bench.fanout [--users 10000] [--rounds 3]

Tocsin is one gevent worker on PostgreSQL with a private Redis (as bench.latency runs
it); N users each hold one socket, from a separate asyncio client process
(bench.latency_client). Each round, this process calls `notify_many()` for all N users
with `t=<time.time_ns()>` in the title: one INSERT ... SELECT FROM unnest(), one counter
upsert, one commit, one Redis pipeline of N PUBLISHes; the worker renders and sends
each user's push. Peer A gets the same N events in one Redis pipeline (one PUBLISH per
user, the stamp in each, what Tocsin's broker sends) and sends each socket the bytes of
a push Tocsin really sent. The figure is the time from the stamp until the last socket
had its notification, and every user must get exactly one.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from . import datasets
from .latency import (
    PEER_B_PREFIX,
    PEER_PREFIX,
    TOCSIN_PREFIX,
    LatencyClient,
    PeerA,
    pin,
    push_template,
    summary,
)
from .report import emit, fmt_ms, machine_markdown, stack_info
from .serving import cpu_seconds, raise_nofile, start_redis

PG_SCHEMA = "tocsin_bench_fanout"
USERS = 10_000
ROUNDS = 3
TIMEOUT_S = 60.0
SETTLE_S = 1.0


def keys(n: int) -> list[str]:
    """Every user is a "probe" to the load client: one socket each."""
    return [f"p{i}" for i in range(n)]


def tocsin_fanout(app, user_ids: list[int]):
    from tocsin.extensions import db
    from tocsin.notifications.publish import notify_many

    def fanout(stamp: int) -> list[int]:
        with app.app_context():
            ids = notify_many(user_ids, type="comment", title=f"t={stamp}")
            db.session.remove()
        return ids

    return fanout


def peer_a_fanout(redis_url: str, prefix: str, user_ids: list[int]):
    client = redis.Redis.from_url(redis_url)
    counter = iter(range(1, 10**12))

    def fanout(stamp: int) -> list[int]:
        ids = []
        with client.pipeline(transaction=False) as pipe:
            for uid in user_ids:
                nid = next(counter)
                ids.append(nid)
                event = {"kind": "created", "ids": [nid], "t": stamp}
                pipe.publish(
                    f"{prefix}:user:{uid}", json.dumps({"origin": "bench", "event": event})
                )
            pipe.execute()
        return ids

    fanout.close = client.close
    return fanout


def profiler(pid: int, out: Path) -> subprocess.Popen:
    """py-spy sampling `pid` into `out` (raw collapsed stacks) until it gets SIGINT."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--rate", "250", "--nonblocking"]
        + ["--format", "raw", "-o", str(out)],
        stdout=subprocess.DEVNULL,
    )


def peer_b_fanout(publish, user_ids: list[int]):
    """Flask-SocketIO's way: one emit per user's room, from an external process."""

    def fanout(stamp: int) -> list[int]:
        return [publish(uid, stamp) for uid in user_ids]

    fanout.close = publish.close
    return fanout


def measure(
    client: LatencyClient,
    fanout,
    user_keys: list[str],
    rounds: int,
    server_pid,
    profile: Path | None = None,
) -> dict:
    """`rounds` fan-outs to every user, one after the other; exactly once each."""
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
        ids = fanout(stamp)
        call_s = time.perf_counter() - start
        items = [[nid, key] for nid, key in zip(ids, user_keys, strict=True)]
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
        for what in ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped"):
            if got[what]:
                failures.append(f"round {r}: {got[what]} {what}")
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


def open_all(client: LatencyClient, n: int, server_pid: int | None, pinned: bool) -> dict:
    if pinned:
        cores = sorted(os.sched_getaffinity(0))
        pin(server_pid, cores[0])
        pin(client.proc.pid, cores[-1])
    start = time.monotonic()
    opened = client.call("open", total=n)
    opened.pop("handshake_s", None)
    opened["open_s"] = time.monotonic() - start
    if opened["held"] < n:
        raise RuntimeError(f"only {opened['held']} of {n} sockets held: {opened['errors']}")
    return opened


def markdown(data: dict) -> str:
    st = data["settings"]
    lines = [
        f"# Fan-out of one event to {st['users']:,} distinct connected users",
        "",
        f"{st['users']:,} users, one socket each, held by one asyncio client process "
        "(`websockets`, permessage-deflate on). Tocsin: one gevent worker "
        "(`gunicorn -c gunicorn.conf.py wsgi:app`) on PostgreSQL with a private Redis; each "
        "round is one `notify_many()` call for every user in the bench process (insert, "
        "counter upsert, commit, one Redis pipeline of a PUBLISH per user), the stamp "
        "`t=<time.time_ns()>` in the title. Peer A (`bench.peers.raw_ws`): the same events "
        "(one PUBLISH per user, in one pipeline, the stamp in the event), each socket sent "
        "the bytes of a push Tocsin sent in this run. Peer B (`bench.peers.socketio_peer`, "
        "Flask-SocketIO in one gunicorn gevent worker): one `emit(..., to='user:<id>')` per "
        "user through its Redis message queue from the bench process, as Flask-SocketIO's "
        "external processes publish, the same bytes. *Last* is from the stamp until the last "
        f"socket had its notification. {st['rounds']} timed rounds after one warm-up, medians "
        "shown; every round in the JSON. "
        + (
            "Server pinned to the first core, client to the last."
            if st["pinned"]
            else "No core pinning."
        ),
        "",
        "| server | last (median) | p50 (median) | the call | server CPU s | lost "
        "| duplicated | Tocsin / peer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    tocsin = data["servers"].get("tocsin")
    for name, r in data["servers"].items():
        lost = sum(row["lost"] for row in r["rounds"])
        dup = sum(row["duplicated"] for row in r["rounds"])
        ratio = (
            f"{tocsin['last_ms_median'] / r['last_ms_median']:.2f}"
            if name != "tocsin" and tocsin and r["last_ms_median"]
            else "–"
        )
        lines.append(
            f"| {name} | {fmt_ms(r['last_ms_median'])} ms | {fmt_ms(r['p50_ms_median'])} ms "
            f"| {fmt_ms(r['call_ms_median'])} ms | {r['server_cpu_s_median']:.2f} | {lost} "
            f"| {dup} | {ratio} |"
        )
    failures = [
        f"{n}: {'; '.join(r['failures'])}" for n, r in data["servers"].items() if r["failures"]
    ]
    if failures:
        lines += ["", "**Failures:** " + " / ".join(failures)]
    lines += [
        "",
        "Opening the sockets: "
        + ", ".join(
            f"{n} {r['opened']['held']:,} held in {r['opened']['open_s']:.0f} s"
            for n, r in data["servers"].items()
        )
        + ".",
        "",
        "## Machine",
        "",
        machine_markdown(data["machine"]),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--name", default="fanout")
    parser.add_argument("--servers", default="tocsin,peer_a,peer_b")
    parser.add_argument(
        "--profile", type=Path, help="py-spy Tocsin's worker over the timed rounds into this file"
    )
    args = parser.parse_args(argv)
    servers = args.servers.split(",")

    from app import create_app
    from bench.serving import Gunicorn
    from bench.sessions import create_users, session_cookies
    from tests.support import server_env
    from tocsin.extensions import db

    raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-fanout-"))
    pinned = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
    redis_proc = server = peer = None
    results: dict[str, dict] = {}
    template = None
    try:
        redis_proc, redis_url = start_redis(workdir)
        db_url = datasets.fresh_schema_url(PG_SCHEMA)
        extra = {
            "TOCSIN_REDIS_URL": redis_url,
            "TOCSIN_REDIS_CHANNEL_PREFIX": TOCSIN_PREFIX,
            "TOCSIN_WORKER_CONNECTIONS": str(args.users + 100),
        }
        env = server_env(workdir, db_url, **extra)
        os.environ.update({k: env[k] for k in ("TOCSIN_INSTANCE_PATH", *extra)})
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": env["TOCSIN_SECRET_KEY"]}
        )
        user_keys = keys(args.users)
        print(f"== creating {args.users:,} users", flush=True)
        with app.app_context():
            db.create_all()
            names = create_users(db.session, [f"fan{k}" for k in user_keys], "tocsin")
            db.session.remove()
        user_ids = [names[f"fan{k}"] for k in user_keys]
        cookies = session_cookies(app, user_ids)
        if "tocsin" in servers:
            server = Gunicorn("gevent", env, workdir / "gunicorn.log")
            client = LatencyClient(
                server.url.replace("http://", "ws://") + "/notifications/ws",
                server.url,
                {k: cookies[uid] for k, uid in zip(user_keys, user_ids, strict=True)},
                workdir,
            )
            try:
                print(f"== Tocsin: opening {args.users:,} sockets", flush=True)
                opened = open_all(client, args.users, server.worker_pid, pinned)
                print(f"   {opened}", flush=True)
                r = measure(
                    client,
                    tocsin_fanout(app, user_ids),
                    user_keys,
                    args.rounds,
                    server.worker_pid,
                    args.profile,
                )
                r["opened"] = opened
                results["tocsin"] = r
                sample = client.call("tally", items=[], timeout=0, settle=0)["sample"]
                template = push_template(sample) if sample else None
            finally:
                client.quit()
                server.stop()
        if "peer_a" in servers:
            if template:
                (workdir / "push.html").write_text(template)
            peer = PeerA(
                redis_url, PEER_PREFIX, template=workdir / "push.html" if template else None
            )
            client = LatencyClient(
                peer.ws_url,
                peer.origin,
                {k: f"bench_user={uid}" for k, uid in zip(user_keys, user_ids, strict=True)},
                workdir,
            )
            fanout = peer_a_fanout(redis_url, PEER_PREFIX, user_ids)
            try:
                print(f"== peer A: opening {args.users:,} sockets", flush=True)
                opened = open_all(client, args.users, peer.pid, pinned)
                r = measure(client, fanout, user_keys, args.rounds, peer.pid)
                r["opened"] = opened
                results["peer_a"] = r
            finally:
                client.quit()
                fanout.close()
                peer.stop()
                peer = None
        if "peer_b" in servers:
            from .peer_b_runs import SocketIOLatencyClient
            from .peers.socketio_peer import PeerB, peer_b_publisher

            template_file = workdir / "push.html" if template else None
            if template:
                template_file.write_text(template)
            peer = PeerB(redis_url, PEER_B_PREFIX, template=template_file)
            client = SocketIOLatencyClient(
                peer.ws_url,
                peer.origin,
                {k: f"bench_user={uid}" for k, uid in zip(user_keys, user_ids, strict=True)},
                workdir,
            )
            fanout = peer_b_fanout(peer_b_publisher(redis_url, PEER_B_PREFIX, template), user_ids)
            try:
                print(f"== peer B: opening {args.users:,} sockets", flush=True)
                opened = open_all(client, args.users, peer.pid, pinned)
                r = measure(client, fanout, user_keys, args.rounds, peer.pid)
                r["opened"] = opened
                results["peer_b"] = r
            finally:
                client.quit()
                fanout.close()
                peer.stop()
                peer = None
        with app.app_context():
            db.engine.dispose()
    finally:
        if peer is not None:
            peer.stop()
        if server is not None:
            server.stop()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        datasets.drop_schema(PG_SCHEMA)
        shutil.rmtree(workdir, ignore_errors=True)
    data = {
        "settings": {
            "users": args.users,
            "rounds": args.rounds,
            "pinned": pinned,
            "peer_template": template,
            "database": "PostgreSQL",
            "broker": "Redis",
        },
        "servers": results,
        "machine": stack_info(load_at_start),
    }
    emit(args.name, data, markdown(data), write=not args.no_write)
    if any(r["failures"] for r in results.values()):
        sys.exit("some runs failed: see the table")


if __name__ == "__main__":
    main()
