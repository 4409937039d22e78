"""Publish-to-receipt latency, one-user-targeted: Tocsin against peer A (raw websockets).

Run: .venv/bin/python -m bench.latency [--clients 100,1000] [--publishes 200]

Tocsin is one gevent worker (`gunicorn -c gunicorn.conf.py wsgi:app`, TOCSIN_WORKERS=1)
on PostgreSQL with a private Redis, as bench.serving runs it; peer A is
bench.peers.raw_ws on the same Redis. A separate asyncio client process
(bench.latency_client, bench.serving_client's Crowd) holds N sockets: PROBES probe users
with one socket each, the rest dealt over a crowd of other users. This process
publishes to a random probe user every 10-20 ms, stamping `time.time_ns()` into the
notification (Tocsin: the title `t=<ns>`, through `service.create()`; peer A: the
event's "t", PUBLISHed straight to Redis); the client reads the stamp on receipt.
Every notification must reach its user's socket exactly once and no other socket.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from . import datasets
from .report import (
    RESULTS,
    ROOT,
    emit,
    fmt_ms,
    fmt_ratio,
    machine_markdown,
    percentile,
    stack_info,
)
from .serving import Client, cpu_seconds, raise_nofile, start_redis

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
PEER_PREFIX = "bench-peer-a"
PEER_B_PREFIX = "bench-peer-b"
SERVERS = ("tocsin", "peer_a", "peer_b")
TOCSIN_PREFIX = "bench-tocsin"


class LatencyClient(Client):
    """bench.latency_client in its own process, driven like bench.serving's Client."""

    def __init__(
        self,
        ws_url: str,
        origin: str,
        cookies: dict[str, str],
        workdir: Path,
        protocol: str = "ws",
    ):
        cookies_file = workdir / f"cookies-{time.monotonic_ns()}.json"
        cookies_file.write_text(json.dumps(cookies))
        args = [
            sys.executable,
            "-m",
            "bench.latency_client",
            "--ws-url",
            ws_url,
            "--origin",
            origin,
            "--cookies",
            str(cookies_file),
            "--protocol",
            protocol,
        ]
        self.proc = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )


class PeerA:
    """bench.peers.raw_ws in its own process."""

    def __init__(
        self, redis_url: str, prefix: str, size: int | None = None, template: Path | None = None
    ) -> None:
        args = [
            sys.executable,
            "-m",
            "bench.peers.raw_ws",
            "--redis-url",
            redis_url,
            "--prefix",
            prefix,
        ]
        if size:
            args += ["--size", str(size)]
        if template:
            args += ["--template", str(template)]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # "ready <port>", or EOF if it died
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"peer A did not start: {line!r}")
        self.port = int(line.split()[1])
        self.pid = self.proc.pid
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.origin = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def push_template(sample: list) -> str:
    """A Tocsin push as peer A's template: its id and publish stamp made placeholders."""
    from bench.peers.raw_ws import TEMPLATE_ID, TEMPLATE_STAMP

    message, nid, stamp = sample
    message = message.replace(stamp, TEMPLATE_STAMP)
    return re.sub(
        rf"(?<=notification-){nid}(?!\d)|(?<=toast-){nid}(?!\d)|(?<=/){nid}(?=/)"
        rf'|(?<=data-id="){nid}(?=")',
        TEMPLATE_ID,
        message,
    )


def pin(pid: int | None, core: int) -> None:
    """Keep `pid` on one core (and its threads), when the machine has two or more."""
    if pid and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2:
        for task in Path(f"/proc/{pid}/task").iterdir():
            os.sched_setaffinity(int(task.name), {core})


def user_keys(users: int = USERS, probes: int = PROBES) -> list[str]:
    """Probe users "p0".. (one socket each, the ones published to), crowd users "c0".."""
    return [f"p{i}" for i in range(probes)] + [f"c{i}" for i in range(users)]


def peer_publisher(redis_url: str, prefix: str, user_ids: dict[str, int] | None = None):
    """Publish like Tocsin's Redis broker would, with the stamp in the event.

    `.broadcast(stamp)` publishes to every user in `user_ids` in one pipeline, as
    Tocsin's broker does for a fan-out; it returns [id, user key] pairs.
    """
    client = redis.Redis.from_url(redis_url)
    counter = iter(range(1, 10**9))

    def message(nid: int, stamp: int) -> str:
        event = {"kind": "created", "ids": [nid], "t": stamp}
        return json.dumps({"origin": "bench", "event": event})

    def publish(user_id: int, stamp: int) -> int:
        nid = next(counter)
        client.publish(f"{prefix}:user:{user_id}", message(nid, stamp))
        return nid

    def broadcast(stamp: int) -> list[list]:
        pairs = []
        with client.pipeline(transaction=False) as pipe:
            for key, uid in (user_ids or {}).items():
                nid = next(counter)
                pipe.publish(f"{prefix}:user:{uid}", message(nid, stamp))
                pairs.append([nid, key])
            pipe.execute()
        return pairs

    publish.broadcast = broadcast
    publish.close = client.close
    return publish


def tocsin_publisher(app, user_ids: dict[str, int] | None = None):
    """Publish through Tocsin's own service: insert, commit, then the broker's PUBLISH.

    `.broadcast(stamp)` is one `notify_many()` to every user in `user_ids`.
    """
    from tocsin.extensions import db
    from tocsin.notifications import service
    from tocsin.notifications.publish import notify_many

    def publish(user_id: int, stamp: int) -> int:
        with app.app_context():
            nid = service.create(db.session, user_id, type="comment", title=f"t={stamp}").id
            db.session.remove()
        return nid

    def broadcast(stamp: int) -> list[list]:
        keys = list(user_ids or {})
        with app.app_context():
            ids = notify_many([user_ids[k] for k in keys], "comment", title=f"t={stamp}")
            db.session.remove()
        return [[nid, key] for nid, key in zip(ids, keys, strict=True)]

    publish.broadcast = broadcast
    return publish


def peer_b_broadcaster(publish, user_ids: dict[str, int]):
    """Peer B's broadcast is one emit to every socket: one id, expected by every user."""
    one = publish.broadcast

    def broadcast(stamp: int) -> list[list]:
        nid = one(stamp)
        return [[nid, key] for key in user_ids]

    publish.broadcast = broadcast
    return publish


def measure(
    client: Client,
    publish,
    user_ids: dict[str, int],
    clients: int,
    publishes: int,
    spacing: tuple[float, float],
    server_pid: int | None = None,
    pinned: bool = False,
    broadcast: bool = False,
) -> dict:
    """Open `clients` sockets, publish to random probes (or to everyone, `broadcast`);
    return latency and exactly-once."""
    if pinned:  # the server on the first core, the load client on the last one
        cores = sorted(os.sched_getaffinity(0))
        pin(server_pid, cores[0])
        pin(client.proc.pid, cores[-1])
    opened = client.call("open", total=clients)
    probes = [k for k in user_ids if k.startswith("p")][: min(PROBES, clients)]
    warm = [[publish(user_ids[k], time.time_ns()), k] for k in probes[:WARMUP]]
    warmup = client.call("tally", items=warm, timeout=TIMEOUT_S, settle=0)
    client.call("reset")
    items, publish_s, calls = [], {}, []
    cpu0, server0 = client.call("cpu"), cpu_seconds(server_pid) if server_pid else None
    for _ in range(publishes):
        if broadcast:
            start = time.perf_counter()
            pairs = publish.broadcast(time.time_ns())
            took = time.perf_counter() - start
            calls.append(took)
            for nid, key in pairs:
                publish_s[nid] = took
                items.append([nid, key])
        else:
            key = random.choice(probes)
            start = time.perf_counter()
            nid = publish(user_ids[key], time.time_ns())
            publish_s[nid] = time.perf_counter() - start
            calls.append(publish_s[nid])
            items.append([nid, key])
        if spacing[1] > 0:
            time.sleep(random.uniform(*spacing))
    cpu1 = client.call("cpu")
    wall = cpu1["monotonic"] - cpu0["monotonic"]
    server_cpu = (cpu_seconds(server_pid) - server0) / wall if server_pid else None
    got = client.call("tally", items=items, timeout=TIMEOUT_S, settle=SETTLE_S)
    lat = [ms for _, ms in got["latencies_ms"]]
    # What is left once the publish call returned (for Tocsin: after the commit).
    after_call = [ms - publish_s[nid] * 1000 for nid, ms in got.pop("latencies_ms")]
    failures = []
    if opened["held"] < clients:
        failures.append(f"{clients - opened['held']} sockets not held {opened['errors']}")
    for what in ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped"):
        if got[what]:
            failures.append(f"{got[what]} {what}")
    if warmup["lost"]:
        failures.append(f"{warmup['lost']} lost in the warm-up")
    return {
        "clients": clients,
        "mode": "broadcast" if broadcast else "targeted",
        "failures": failures,
        "held": opened["held"],
        "handshake_failed": opened["failed"],
        "warmup_lost": warmup["lost"],
        "publishes": publishes,
        **got,
        "latency_ms": summary(lat),
        "after_publish_call_ms": summary(after_call),
        "publish_call_ms": summary([s * 1000 for s in calls]),
        "client_cpu_percent": 100 * (cpu1["cpu_s"] - cpu0["cpu_s"]) / wall,
        "server_cpu_percent": 100 * server_cpu if server_cpu is not None else None,
        "publish_window_s": wall,
    }


def summary(ms: list[float]) -> dict:
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "min_ms": min(ms),
        "max_ms": max(ms),
    }


def broadcast_spacing(clients: int) -> tuple[float, float]:
    """Room between broadcasts: each one is a push to every socket."""
    scale = max(clients, 100) / 1000
    return (BROADCAST_SPACING_S[0] * scale, BROADCAST_SPACING_S[1] * scale)


def measure_modes(client, publish, user_ids, clients, publishes, spacing, pid, pinned, modes):
    """`measure` each mode on the same open sockets: {mode: result}."""
    results = {}
    for mode in modes:
        broadcast = mode == "broadcast"
        results[mode] = measure(
            client,
            publish,
            user_ids,
            clients,
            min(publishes, BROADCASTS) if broadcast else publishes,
            broadcast_spacing(clients) if broadcast and spacing[1] > 0 else spacing,
            pid,
            pinned,
            broadcast=broadcast,
        )
    return results


def run_peer_a(
    redis_url: str,
    prefix: str,
    clients: int,
    publishes: int,
    workdir: Path,
    spacing=SPACING_S,
    size: int | None = None,
    peer: PeerA | None = None,
    pinned: bool = False,
    modes=("targeted",),
) -> dict:
    """Peer A measurements ({mode: result}); starts (and stops) its own peer unless given."""
    own = peer is None
    peer = peer or PeerA(redis_url, prefix, size)
    keys = user_keys(users=min(USERS, clients))
    user_ids = {k: i + 1 for i, k in enumerate(keys)}
    cookies = {k: f"bench_user={uid}" for k, uid in user_ids.items()}
    publish = peer_publisher(redis_url, prefix, user_ids)
    client = LatencyClient(peer.ws_url, peer.origin, cookies, workdir)
    try:
        return measure_modes(
            client, publish, user_ids, clients, publishes, spacing, peer.pid, pinned, modes
        )
    finally:
        client.quit()
        publish.close()
        if own:
            peer.stop()


def run_tocsin(
    server_url: str,
    app,
    user_ids: dict[str, int],
    cookies: dict[str, str],
    clients: int,
    publishes: int,
    workdir: Path,
    spacing=SPACING_S,
    server_pid: int | None = None,
    pinned: bool = False,
    modes=("targeted",),
) -> dict:
    """Tocsin measurements ({mode: result}) against a running server, users logged in."""
    ws_url = server_url.replace("http://", "ws://") + "/notifications/ws"
    client = LatencyClient(ws_url, server_url, cookies, workdir)
    try:
        return measure_modes(
            client,
            tocsin_publisher(app, user_ids),
            user_ids,
            clients,
            publishes,
            spacing,
            server_pid,
            pinned,
            modes,
        )
    finally:
        client.quit()


def login_all(server_url: str, keys: list[str]) -> dict[str, str]:
    from tests.support import HttpSession

    return {k: HttpSession(server_url).login(username(k)).cookie_header for k in keys}


def username(key: str) -> str:
    return f"lat{key}"


def database_url() -> str:
    return datasets.fresh_schema_url(PG_SCHEMA)


def drop_schema() -> None:
    datasets.drop_schema(PG_SCHEMA)


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def results_of(row: dict):
    """(server, mode, result) for every measurement in a row."""
    for name in SERVERS:
        for mode, r in row.get(name, {}).items():
            yield name, mode, r


def failures_of(data: dict) -> list[str]:
    return [
        f"{row['clients']} clients, {name} {mode}: {'; '.join(r['failures'])}"
        for row in data["runs"]
        for name, mode, r in results_of(row)
        if r["failures"]
    ]


def ratio_of(row: dict, mode: str, peer: str, key: str) -> float | None:
    try:
        return ratio(row["tocsin"][mode]["latency_ms"][key], row[peer][mode]["latency_ms"][key])
    except KeyError:
        return None


def markdown(data: dict) -> str:
    st = data["settings"]
    lines = [
        "# Publish-to-receipt latency: Tocsin against peer A and peer B",
        "",
        "Tocsin: one gevent worker (`gunicorn -c gunicorn.conf.py wsgi:app`) on PostgreSQL "
        "with a private Redis. Targeted: each publish is `service.create()` for one random "
        "probe user in the bench process (insert, counter upsert, commit, Redis PUBLISH), "
        "with `t=<time.time_ns()>` in the title. Broadcast: one `notify_many()` to every "
        "user (a row each, one commit, one Redis pipeline), every socket must get it. "
        "**Peer A** (`bench.peers.raw_ws`): a bare asyncio `websockets` server with one "
        "`PSUBSCRIBE`, sending the bytes of a push Tocsin really sent in this run "
        f"({len(st['peer_template'] or '')} characters, id and stamp swapped in); targeted "
        "is one PUBLISH of Tocsin's event JSON, broadcast one PUBLISH per user in one "
        "pipeline (what Tocsin's broker sends), no database: the ceiling. **Peer B** "
        "(`bench.peers.socketio_peer`): Flask-SocketIO with its Redis message queue in one "
        "gunicorn gevent worker, the same bytes, published as Flask-SocketIO's external "
        "process does (`emit(..., to='user:<id>')`; broadcast: one `emit` to everyone). "
        "Client: one asyncio process (`websockets`, permessage-deflate on) holding the "
        f"sockets, {PROBES} probe users with one socket each and the rest dealt over "
        f"{USERS} crowd users. Targeted: {st['publishes']} publishes per run, "
        f"{SPACING_S[0] * 1000:.0f}-{SPACING_S[1] * 1000:.0f} ms apart; broadcast: "
        f"{st['broadcasts']} publishes, {BROADCAST_SPACING_S[0]:.1f}-"
        f"{BROADCAST_SPACING_S[1]:.1f} s apart per 1,000 sockets. Latency: receipt "
        "`time.time_ns()` minus the stamp, ms, every socket's receipt counted. "
        + (
            "The server process (Tocsin's worker, peer A, peer B's worker) was pinned to the "
            "first core and the load client to the last; the publisher, PostgreSQL and "
            "Redis float."
            if st["pinned"]
            else "No core pinning."
        ),
        "",
        "| clients | mode | server | held | receipts | p50 | p99 | max | publish call p50 "
        "| after the call p50 / p99 | lost | duplicated | misdelivered | client CPU % "
        "| server CPU % |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["runs"]:
        for mode in st["modes"]:
            for name in SERVERS:
                r = row.get(name, {}).get(mode)
                if r is None:
                    continue
                lat, after = r["latency_ms"], r["after_publish_call_ms"]
                lines.append(
                    f"| {row['clients']} | {mode} | {name} | {r['held']} | {r['received']} "
                    f"| {fmt_ms(lat.get('p50_ms'))} | {fmt_ms(lat.get('p99_ms'))} "
                    f"| {fmt_ms(lat.get('max_ms'))} | {fmt_ms(r['publish_call_ms'].get('p50_ms'))} "
                    f"| {fmt_ms(after.get('p50_ms'))} / {fmt_ms(after.get('p99_ms'))} "
                    f"| {r['lost']} | {r['duplicated']} "
                    f"| {r['misdelivered'] + r['unexpected_ids']} "
                    f"| {r['client_cpu_percent']:.0f} | {r['server_cpu_percent']:.0f} |"
                )
    lines += [
        "",
        "| clients | mode | Tocsin / peer A p50 | Tocsin / peer A p99 | Tocsin / peer B p50 "
        "| Tocsin / peer B p99 |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in data["runs"]:
        for mode in st["modes"]:
            cells = [
                fmt_ratio(ratio_of(row, mode, peer, key))
                for peer in ("peer_a", "peer_b")
                for key in ("p50_ms", "p99_ms")
            ]
            lines.append(f"| {row['clients']} | {mode} | " + " | ".join(cells) + " |")
    failures = failures_of(data)
    if failures:
        lines += ["", "**Failures:** " + " / ".join(failures)]
    total_lost = sum(r["lost"] for row in data["runs"] for _, _, r in results_of(row))
    total_dup = sum(r["duplicated"] for row in data["runs"] for _, _, r in results_of(row))
    lines += [
        "",
        f"![latency against connected clients]({data.get('chart', 'latency.svg')})",
        "",
        f"Exactly once: {total_lost} lost, {total_dup} duplicated over every run. CPU % is "
        "over the publish window (100 % = one core); a client near 100 % would be the "
        "bottleneck. The publish call is the publisher's own cost (Tocsin's includes the "
        "database commit, and so does its latency; the peers' is a bare PUBLISH); *after the "
        "call* subtracts each publish's own call time from its latency: the delivery path "
        "alone (Redis, the worker's listener, render, send, the client).",
        "",
        "## Machine",
        "",
        machine_markdown(data["machine"]),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default=",".join(map(str, CLIENTS)))
    parser.add_argument("--publishes", type=int, default=PUBLISHES)
    parser.add_argument("--no-pin", action="store_true", help="leave server and client on any core")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--name", default="latency", help="results file name")
    parser.add_argument("--modes", default=",".join(MODES), help="targeted,broadcast")
    parser.add_argument("--peers", default="peer_a,peer_b", help="peer_a,peer_b (or empty)")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.clients.split(",")]
    modes = [m for m in args.modes.split(",") if m]
    servers = ["tocsin", *(p for p in args.peers.split(",") if p)]

    from app import create_app, users
    from bench.serving import Gunicorn
    from tests.support import server_env
    from tocsin.extensions import db

    raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-latency-"))
    redis_proc = server = peer = peer_b = None
    runs = []
    pinned = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
    template = None
    try:
        redis_proc, redis_url = start_redis(workdir)
        db_url = database_url()
        extra = {
            "TOCSIN_REDIS_URL": redis_url,
            "TOCSIN_REDIS_CHANNEL_PREFIX": TOCSIN_PREFIX,
            "TOCSIN_WORKER_CONNECTIONS": str(max(counts) + 100),
        }
        env = server_env(workdir, db_url, **extra)
        os.environ.update({k: env[k] for k in ("TOCSIN_INSTANCE_PATH", *extra)})
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": env["TOCSIN_SECRET_KEY"]}
        )
        keys = user_keys()
        with app.app_context():
            db.create_all()
            user_ids = {k: users.create(db.session, username(k), "tocsin").id for k in keys}
            db.session.remove()
        server = Gunicorn("gevent", env, workdir / "gunicorn.log")
        print("== logging in", flush=True)
        cookies = login_all(server.url, keys)
        for clients in counts:
            row = {"clients": clients}
            print(f"== {clients} clients: Tocsin", flush=True)
            row["tocsin"] = run_tocsin(
                server.url,
                app,
                user_ids,
                cookies,
                clients,
                args.publishes,
                workdir,
                server_pid=server.worker_pid,
                pinned=pinned,
                modes=modes,
            )
            sample = next(r["sample"] for r in row["tocsin"].values() if r.get("sample"))
            if template is None:  # the peers send a push Tocsin really sent, id and stamp swapped
                template = push_template(sample)
                (workdir / "push.html").write_text(template)
            if "peer_a" in servers:
                if peer is None:
                    peer = PeerA(redis_url, PEER_PREFIX, template=workdir / "push.html")
                print(f"== {clients} clients: peer A", flush=True)
                row["peer_a"] = run_peer_a(
                    redis_url,
                    PEER_PREFIX,
                    clients,
                    args.publishes,
                    workdir,
                    peer=peer,
                    pinned=pinned,
                    modes=modes,
                )
            if "peer_b" in servers:
                from .peer_b_runs import run_peer_b
                from .peers.socketio_peer import PeerB

                if peer_b is None:
                    peer_b = PeerB(redis_url, PEER_B_PREFIX, template=workdir / "push.html")
                print(f"== {clients} clients: peer B", flush=True)
                row["peer_b"] = run_peer_b(
                    redis_url,
                    PEER_B_PREFIX,
                    clients,
                    args.publishes,
                    workdir,
                    peer=peer_b,
                    pinned=pinned,
                    template=template,
                    modes=modes,
                )
            for name in SERVERS:
                for r in row.get(name, {}).values():
                    r.pop("sample", None)
                    print(f"   {name} {r['mode']}: {brief(r)}", flush=True)
            runs.append(row)
        with app.app_context():
            db.engine.dispose()
    finally:
        for p in (peer, peer_b):
            if p is not None:
                p.stop()
        if server is not None:
            server.stop()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        drop_schema()
        shutil.rmtree(workdir, ignore_errors=True)
    data = {
        "settings": {
            "clients": counts,
            "modes": modes,
            "servers": servers,
            "publishes": args.publishes,
            "broadcasts": BROADCASTS,
            "broadcast_spacing_s_per_1000": BROADCAST_SPACING_S,
            "spacing_s": SPACING_S,
            "probes": PROBES,
            "crowd_users": USERS,
            "pinned": pinned,
            "peer_template": template,
            "database": "PostgreSQL",
            "broker": "Redis",
        },
        "runs": runs,
        "chart": f"{args.name}.svg",
        "machine": stack_info(load_at_start),
    }
    emit(args.name, data, markdown(data), write=not args.no_write)
    chart_path = RESULTS / f"{args.name}.svg"
    if not args.no_write:
        from .chart import latency_chart

        latency_chart(data, chart_path)
        print(f"wrote {chart_path.relative_to(ROOT)}")
    if failures_of(data):
        sys.exit("some runs failed: see the table")


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
    )
    return json.dumps({**{k: r[k] for k in keys}, "latency": r["latency_ms"]})


if __name__ == "__main__":
    main()
