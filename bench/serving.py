"""How many WebSockets one gunicorn worker holds: gthread against gevent, and against the peers.

Run: .venv/bin/python -m bench.serving [--modes gthread,gevent,peer_a,peer_b] [--steps 500,...]

For each worker class, one worker (`gunicorn -c gunicorn.conf.py wsgi:app`,
PostgreSQL and a private Redis, as in production) is loaded step by step with
sockets from a separate asyncio client process (bench.serving_client). At each
step: handshakes, worker RSS and threads, idle CPU, ping round trips and
publish-to-push latency. The ramp stops at the first step where a handshake
fails, a push goes missing or a p99 exceeds --p99-limit. Then the master gets
SIGTERM with every socket open, and the close codes the clients saw are counted.

The modes peer_a (bench.peers.raw_ws: one asyncio `websockets` process) and peer_b
(bench.peers.socketio_peer: Flask-SocketIO and its Redis message queue in one gunicorn
gevent worker, spoken to in Socket.IO) are ramped the same way, by the same client with
the same users and steps, on the same Redis; a publish to them is a Redis PUBLISH of a
push Tocsin really sent earlier in the run (without a Tocsin mode: raw_ws.fragment()).
The Markdown then gives Tocsin's memory per socket as a ratio to each peer's.
"""

import argparse
import functools
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from app import create_app, users
from tests.support import HttpSession, free_port, server_env
from tocsin.extensions import db
from tocsin.notifications import service

from . import datasets, serving_hub
from .report import (
    ROOT,
    emit,
    fmt_ms,
    machine_markdown,
    percentile,
    stack_info,
)

PG_SCHEMA = "tocsin_bench_serving"
MODES = ("gthread", "gevent")
PEERS = ("peer_a", "peer_b")
LABELS = {
    "gthread": "Tocsin gthread",
    "gevent": "Tocsin gevent",
    "peer_a": "peer A",
    "peer_b": "peer B",
}
PEER_PREFIX = "bench-serving-peer"
#: The targets of issue 5 for this measurement.
TARGET_SOCKETS = 5000
TARGET_MEMORY_RATIO = 2.0
STEPS = (500, 1000, 2000, 3000, 4000, 5000, 6000, 7500)
USERS = 50
PROBES = 5
FANOUTS = 3
PINGS = 200
PING_SPACING_S = 0.01
PUBLISHES = 20
PUBLISH_SPACING_S = 0.05
SETTLE_S = 2.0
CPU_WINDOW_S = 3.0
P99_LIMIT_S = 1.0
BUDGET_S = 240.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVICE_RESTART = 1012
#: gunicorn.conf.py's default unless TOCSIN_GRACEFUL_TIMEOUT says otherwise.
GRACE_S = int(os.environ.get("TOCSIN_GRACEFUL_TIMEOUT") or 10)


def username(key: str) -> str:
    """Crowd user c7 is load07; probe user p2 is probe2."""
    return f"load{int(key[1:]):02d}" if key.startswith("c") else f"probe{key[1:]}"


def raise_nofile() -> int:
    """Raise the open-file limit to the hard limit; the server and client inherit it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def database_url(sqlite_dir: Path | None) -> str:
    if sqlite_dir is not None:
        return f"sqlite:///{sqlite_dir / 'bench.sqlite3'}"
    return datasets.fresh_schema_url(PG_SCHEMA)


def drop_schema() -> None:
    datasets.drop_schema(PG_SCHEMA)


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    """A Redis of our own on a free port: other test runs' channels cannot cross ours."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ok = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True)
        if ok.stdout.strip() == "PONG":
            return proc, url
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


class WorkerGone(Exception):
    """The measured worker process exited (the master may have replaced it)."""


def _proc(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_text()
    except FileNotFoundError:
        raise WorkerGone(pid) from None


def proc_stats(pid: int) -> dict:
    status = _proc(pid, "status")
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "rss_kb": int(fields["VmRSS"].split()[0]),
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def cpu_seconds(pid: int) -> float:
    stat = _proc(pid, "stat")
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def cpu_percent(pid: int, window: float) -> float:
    """Percent of one core the process used over the next `window` seconds."""
    before, start = cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    return 100 * (cpu_seconds(pid) - before) / (time.monotonic() - start)


def log_excerpt(log: Path, lines: int = 2) -> str:
    """Why a worker went away, from gunicorn's log: its own critical lines first."""
    text = log.read_text(errors="replace").splitlines()
    for words in (("CRITICAL", "SIGKILL", "Worker (pid"), ("ERROR", "WARNING")):
        found = [line for line in text if any(w in line for w in words)]
        if found:
            return " / ".join(line.split("] ", 3)[-1] for line in found[:lines])
    return "(nothing logged)"


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app` with one worker of the given class."""

    def __init__(self, mode: str, env: dict, log: Path) -> None:
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **env,
            "TOCSIN_WORKERS": "1",
            "TOCSIN_WORKER_CLASS": mode,
            "TOCSIN_BIND": f"127.0.0.1:{self.port}",
            "TOCSIN_ACCESS_LOG": "",
        }
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "python:tocsin.gunicorn", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.1)
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        self.worker_pid = int(children.split()[0])
        self.ws_url = self.url.replace("http://", "ws://") + "/notifications/ws"
        self.origin = self.url
        self.protocol = "ws"

    def log_excerpt(self, lines: int = 2) -> str:
        return log_excerpt(self.log, lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class PeerServer:
    """Peer A or peer B on the bench's Redis, with the interface run_mode drives a server by."""

    def __init__(self, mode: str, redis_url: str, template: Path | None, workdir: Path, n: int):
        from .latency import PeerA, peer_publisher
        from .peers.socketio_peer import PeerB, peer_b_publisher

        prefix = f"{PEER_PREFIX}-{mode}"
        if mode == "peer_a":
            self.log = None
            self.peer = PeerA(redis_url, prefix, template=template)
            self.protocol = "ws"
            self._publish = peer_publisher(redis_url, prefix)
        else:
            self.log = workdir / "peer-b.log"
            self.peer = PeerB(redis_url, prefix, template, worker_connections=n, log=self.log)
            self.protocol = "socketio"
            text = template.read_text() if template else None
            self._publish = peer_b_publisher(redis_url, prefix, text)
        self.proc = self.peer.proc  # SIGTERM goes here: peer A itself, peer B's master
        self.worker_pid = self.peer.pid
        self.ws_url, self.origin = self.peer.ws_url, self.peer.origin

    def publish(self, user_id: int, title: str) -> tuple[int, float]:
        """A Redis PUBLISH of one push to the user (the title is Tocsin's; peers have none)."""
        start = time.monotonic()
        return self._publish(user_id, time.time_ns()), start

    def warm_up(self, cookie: str) -> None:
        """One socket opened until its snapshot, then closed, as Tocsin's warm-up does."""
        from websockets.sync.client import connect

        headers = {"Cookie": cookie}
        with connect(self.ws_url, origin=self.origin, additional_headers=headers, proxy=None) as ws:
            if self.protocol == "socketio":
                ws.recv(timeout=10)  # Engine.IO open
                ws.send("40")
                while not ws.recv(timeout=10).startswith('42["snapshot"'):
                    pass
            else:
                ws.recv(timeout=10)

    def log_excerpt(self, lines: int = 2) -> str:
        if self.log is None:
            return "(peer A keeps no log)"
        return log_excerpt(self.log, lines)

    def stop(self) -> None:
        self._publish.close()
        self.peer.stop()


class Client:
    """The bench.serving_client process, driven one JSON line at a time."""

    def __init__(self, server: "Gunicorn | PeerServer", cookies_file: Path, compression: bool):
        args = [
            sys.executable,
            "-m",
            "bench.serving_client",
            "--ws-url",
            server.ws_url,
            "--origin",
            server.origin,
            "--cookies",
            str(cookies_file),
            "--protocol",
            server.protocol,
        ]
        if not compression:
            args.append("--no-compression")
        self.proc = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def call(self, cmd: str, **kwargs) -> dict:
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"load client exited ({self.proc.wait()}) during {cmd!r}")
        return json.loads(line)

    def quit(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write('{"cmd": "quit"}\n')
            self.proc.stdin.flush()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ms_summary(samples_s: list[float]) -> dict:
    if not samples_s:
        return {"n": 0}
    ms = sorted(s * 1000 for s in samples_s)
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "max_ms": ms[-1],
    }


def publish(app, user_id: int, title: str) -> tuple[int, float]:
    start = time.monotonic()
    with app.app_context():
        nid = service.create(db.session, user_id, type="comment", title=title).id
        db.session.remove()
    return nid, start


def probe_round(publisher, client: Client, users: dict[str, int], n: int) -> dict:
    """Publish n notifications to random probe users (one socket each), 50 ms apart."""
    sent: dict[int, float] = {}
    items = []
    probes = [key for key in users if key.startswith("p")]
    for k in range(n):
        key = random.choice(probes)
        nid, sent[nid] = publisher(users[key], f"probe {k}")
        items.append([nid, key])
        time.sleep(PUBLISH_SPACING_S)
    got = client.call("collect", items=items, timeout=15)
    latencies = [t - sent[int(nid)] for nid, times in got["arrivals"].items() for t in times]
    return {
        "latency": ms_summary(latencies),
        "delivered": len(latencies),
        "expected": sum(got["expected"].values()),
    }


def fanout_round(publisher, client: Client, users: dict[str, int], n: int) -> dict:
    """Publish to n random crowd users, one at a time; time until all their sockets have it."""
    to_last, sockets, missing = [], 0, 0
    crowd = [key for key in users if key.startswith("c")]
    for k in range(n):
        key = random.choice(crowd)
        nid, start = publisher(users[key], f"fan-out {k}")
        got = client.call("collect", items=[[nid, key]], timeout=15)
        times = got["arrivals"][str(nid)]
        expected = got["expected"][str(nid)]
        sockets, missing = expected, missing + expected - len(times)
        if times:
            to_last.append(max(times) - start)
    return {"sockets_per_user": sockets, "to_last": ms_summary(to_last), "missing": missing}


def capture_push(app, ws, user_id: int) -> str:
    """A push Tocsin really sends, as the peers' template (id and stamp made placeholders)."""
    from .latency import push_template

    stamp = str(time.time_ns())
    nid, _ = publish(app, user_id, f"t={stamp}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = ws.recv(timeout=10)
        if f'id="notification-{nid}"' in message:
            return push_template([message, nid, stamp])
    raise RuntimeError("the warm-up socket never received its push")


def run_mode(
    mode: str,
    args,
    env: dict,
    app,
    users: dict[str, int],
    workdir: Path,
    redis_url: str | None = None,
    template: Path | None = None,
) -> dict:
    """Ramp one server: a Tocsin worker class, or a peer (then `redis_url`, `template`)."""
    print(f"== {mode}", flush=True)
    if mode in PEERS:
        server = PeerServer(mode, redis_url, template, workdir, max(args.steps) + 100)
        publisher = server.publish
    else:
        server = Gunicorn(mode, env, workdir / f"gunicorn-{mode}.log")
        publisher = functools.partial(publish, app)
    result: dict = {"mode": mode, "steps": [], "stopped_because": "all steps held"}
    client = None
    try:
        if mode in PEERS:
            cookies = {key: f"bench_user={uid}" for key, uid in users.items()}
            server.warm_up(cookies["c0"])
        else:
            cookies = {
                key: HttpSession(server.url).login(username(key)).cookie_header for key in users
            }
            with HttpSession(server.url).login(username("c0")).websocket() as ws:  # warm-up
                ws.recv(timeout=10)
                if args.capture_push:
                    result["push_template"] = capture_push(app, ws, users["c0"])
        cookies_file = workdir / "cookies.json"
        cookies_file.write_text(json.dumps(cookies))
        time.sleep(SETTLE_S)
        idle = proc_stats(server.worker_pid)
        result["idle"] = {**idle, "cpu_percent": cpu_percent(server.worker_pid, CPU_WINDOW_S)}
        print(f"   idle: {idle}", flush=True)
        client = Client(server, cookies_file, not args.no_compression)
        started = time.monotonic()
        for n in args.steps:
            if time.monotonic() - started > args.budget:
                result["stopped_because"] = f"time budget of {args.budget:.0f} s used"
                break
            try:
                step = measure_step(server, client, publisher, users, n, idle, args)
            except WorkerGone:
                step = {"target": n, "failures": ["worker died: " + server.log_excerpt()]}
                print(f"   {n}: {step}", flush=True)
                result["steps"].append(step)
                result["stopped_because"] = f"at {n}: " + step["failures"][0]
                break
            result["steps"].append(step)
            print(f"   {n}: {json.dumps(brief(step))}", flush=True)
            if step["failures"]:
                result["stopped_because"] = f"at {n}: " + "; ".join(step["failures"])
                break
        held = [s for s in result["steps"] if not s["failures"]]
        result["log_warnings"] = server.log_excerpt(10)
        result["max_held"] = max((s["held"] for s in held), default=0)
        result["shutdown"] = graceful_shutdown(server, client, args)
        print(f"   shutdown: {json.dumps(result['shutdown'])}", flush=True)
    finally:
        if client is not None:
            client.quit()
        server.stop()
        if args.logs and server.log:
            args.logs.mkdir(parents=True, exist_ok=True)
            shutil.copy(server.log, args.logs)
    return result


def measure_step(server, client, publisher, users, n: int, idle: dict, args) -> dict:
    cpu_before, t0 = cpu_seconds(server.worker_pid), time.monotonic()
    opened = client.call("open", total=n)
    ramp_cpu = 100 * (cpu_seconds(server.worker_pid) - cpu_before) / (time.monotonic() - t0)
    time.sleep(SETTLE_S)
    stats = proc_stats(server.worker_pid)
    held = opened["held"]
    step = {
        "target": n,
        "held": held,
        "handshake_failed": opened["failed"],
        "handshake_errors": opened["errors"],
        "ramp_s": opened["elapsed_s"],
        "ramp_cpu_percent": ramp_cpu,
        "handshake": ms_summary(opened["handshake_s"]),
        **stats,
        "rss_per_conn_kb": (stats["rss_kb"] - idle["rss_kb"]) / held if held else None,
        "threads_per_conn": (stats["threads"] - idle["threads"]) / held if held else None,
        "idle_cpu_percent": cpu_percent(server.worker_pid, CPU_WINDOW_S),
    }
    pings = client.call("ping", count=args.pings, spacing=PING_SPACING_S)
    step["ping"] = {**ms_summary(pings["rtt_s"]), "failed": pings["failed"]}
    cpu_before, t0 = cpu_seconds(server.worker_pid), time.monotonic()
    step["publish"] = probe_round(publisher, client, users, args.publishes)
    step["publish_cpu_percent"] = (
        100 * (cpu_seconds(server.worker_pid) - cpu_before) / (time.monotonic() - t0)
    )
    step["fanout"] = fanout_round(publisher, client, users, FANOUTS)
    failures = []
    if opened["failed"] or held < n:
        failures.append(f"{opened['failed']} handshakes failed {opened['errors']}")
    if pings["failed"]:
        failures.append(f"{pings['failed']} pings unanswered")
    missing = step["publish"]["expected"] - step["publish"]["delivered"]
    missing += step["fanout"]["missing"]
    if missing:
        failures.append(f"{missing} pushes missing")
    for name in ("ping", "publish"):
        summary = step[name] if name == "ping" else step[name]["latency"]
        if summary.get("p99_ms", 0) > args.p99_limit * 1000:
            failures.append(f"{name} p99 {summary['p99_ms']:.0f} ms > {args.p99_limit * 1000:.0f}")
    if server.proc.poll() is not None or not Path(f"/proc/{server.worker_pid}").exists():
        failures.append("worker died")
    step["failures"] = failures
    return step


def graceful_shutdown(server: "Gunicorn | PeerServer", client: Client, args) -> dict:
    """SIGTERM the master with every socket open; count the close codes the clients saw."""
    held = client.call("watch_close", timeout=0)["still_open"]
    sent = client.call("time")["monotonic"]
    server.proc.send_signal(signal.SIGTERM)
    seen = client.call("watch_close", timeout=GRACE_S + 20)
    exit_code = server.proc.wait(timeout=GRACE_S + 30)
    after = [at - sent for code, at in seen["closes"] if code == SERVICE_RESTART]
    return {
        "sockets_open": held,
        "close_codes": seen["codes"],
        "graceful_timeout_s": GRACE_S,
        "still_open_after_grace": seen["still_open"],
        "close_1012_after": ms_summary(after),
        "last_close_after_s": max((at for _, at in seen["closes"]), default=sent) - sent,
        "master_exit_code": exit_code,
    }


def brief(step: dict) -> dict:
    return {
        "held": step["held"],
        "handshake_p99": step["handshake"].get("p99_ms"),
        "rss_kb": step["rss_kb"],
        "kb_per_conn": round(step["rss_per_conn_kb"] or 0, 1),
        "threads": step["threads"],
        "idle_cpu": round(step["idle_cpu_percent"]),
        "ping_p99": step["ping"].get("p99_ms"),
        "publish_p99": step["publish"]["latency"].get("p99_ms"),
        "fanout_max": step["fanout"]["to_last"].get("max_ms"),
        "failures": step["failures"],
    }


def choose(results: dict) -> tuple[str, str]:
    """Pick the Tocsin mode that held the most sockets; on a tie, the one with less memory each."""
    results = {m: r for m, r in results.items() if m not in PEERS}

    def key(mode):
        r = results[mode]
        top = next((s for s in reversed(r["steps"]) if not s["failures"]), None)
        return (r["max_held"], -(top["rss_per_conn_kb"] if top else 0))

    best = max(results, key=key)
    others = [m for m in results if m != best]
    why = f"{best} held {results[best]['max_held']} sockets in one worker" + "".join(
        f"; {m} held {results[m]['max_held']} ({results[m]['stopped_because']})" for m in others
    )
    return best, why


def p50_p99(summary: dict) -> str:
    return f"{fmt_ms(summary.get('p50_ms'))} / {fmt_ms(summary.get('p99_ms'))}"


def top_step(result: dict) -> dict | None:
    """The largest step a mode held with no failure."""
    return next((s for s in reversed(result["steps"]) if not s["failures"]), None)


def peer_ratios(results: dict) -> list[dict]:
    """Tocsin's memory per socket (and sockets held) over each peer's, per Tocsin mode and peer.

    Memory is compared at each step both held (same target, same sockets per user), and
    at the largest such step, which is the figure the target is checked against.
    """
    rows = []
    for mode in (m for m in results if m not in PEERS):
        for peer in (p for p in results if p in PEERS):
            ours = {s["target"]: s for s in results[mode]["steps"] if not s["failures"]}
            theirs = {s["target"]: s for s in results[peer]["steps"] if not s["failures"]}
            per_step = [
                {
                    "target": n,
                    "tocsin_kb": ours[n]["rss_per_conn_kb"],
                    "peer_kb": theirs[n]["rss_per_conn_kb"],
                    "ratio": ours[n]["rss_per_conn_kb"] / theirs[n]["rss_per_conn_kb"]
                    if theirs[n]["rss_per_conn_kb"]
                    else None,
                }
                for n in sorted(set(ours) & set(theirs))
            ]
            held = results[peer]["max_held"]
            rows.append(
                {
                    "tocsin": mode,
                    "peer": peer,
                    "steps": per_step,
                    "memory_ratio": per_step[-1]["ratio"] if per_step else None,
                    "at": per_step[-1]["target"] if per_step else None,
                    "held_ratio": results[mode]["max_held"] / held if held else None,
                }
            )
    return rows


def targets(data: dict) -> list[str]:
    """Issue 5's targets for this measurement, met or missed, per Tocsin mode."""
    lines = []
    for mode, r in data["modes"].items():
        if mode in PEERS:
            continue
        held = r["max_held"]
        met = "met" if held >= TARGET_SOCKETS else "missed"
        lines.append(
            f"- {LABELS[mode]}: ≥ {TARGET_SOCKETS:,} sockets per worker: **{met}** "
            f"(held {held:,}; {r['stopped_because']})."
        )
        for row in data["ratios"]:
            if row["tocsin"] != mode or row["peer"] != "peer_a":
                continue
            ratio = row["memory_ratio"]
            if ratio is None:
                lines.append(f"- {LABELS[mode]}: memory per socket ≤ 2× peer A: no common step.")
                continue
            met = "met" if ratio <= TARGET_MEMORY_RATIO else "missed"
            lines.append(
                f"- {LABELS[mode]}: memory per socket ≤ {TARGET_MEMORY_RATIO:g}× peer A: "
                f"**{met}** ({ratio:.2f}× at {row['at']:,} sockets)."
            )
    return lines


def intro(st: dict, modes: list[str]) -> list[str]:
    tocsin = [m for m in modes if m not in PEERS]
    peers = [m for m in modes if m in PEERS]
    deflate = "on" if st["compression"] else "off"
    lines = []
    if tocsin:
        lines += [
            "One worker (`gunicorn -c gunicorn.conf.py wsgi:app`, `TOCSIN_WORKERS=1`) on "
            f"{st['database']} with the {st['broker']} broker, loaded from a separate asyncio "
            f"client process (`websockets`, permessage-deflate {deflate}"
            ", as browsers offer it). Every socket logs in over HTTP first and sends the server's "
            f"Origin. {PROBES} probe users hold one socket each; the crowd is dealt round-robin "
            f"over {st['users']} more users. Each step opens sockets (50 handshakes in flight) "
            "until the target is held, each counted once its snapshot arrived, then waits "
            f"{SETTLE_S:.0f} s and takes:",
            "",
        ]
    if peers:
        template = st.get("peer_template")
        what = (
            f"a push Tocsin really sent in this run ({len(template):,} characters, captured "
            "from its warm-up socket, id and stamp swapped in; the template is in the JSON)"
            if template
            else "`raw_ws.fragment()` (2,600 characters; no Tocsin mode ran to capture a push)"
        )
        lines += [
            "**The peers**, ramped with the same steps by the same client (permessage-deflate "
            f"{deflate}) with the same users and sockets per user, on a Redis of the bench's own: "
            "**peer A** (`bench.peers.raw_ws`): one asyncio process, the `websockets` library, "
            "one `PSUBSCRIBE`, no login, no database; **peer B** (`bench.peers.socketio_peer`): "
            'Flask-SocketIO with its Redis message queue (`async_mode="gevent"`) in one '
            "gunicorn gevent worker (`gunicorn -k gevent -w 1`, as Flask-SocketIO's deployment "
            "docs give it; WebSocket through simple-websocket, as Tocsin's flask-sock), spoken "
            "to in Socket.IO over the websocket transport only (Engine.IO v4), each socket in "
            "the room `user:<id>`. A peer's socket names its user in a `bench_user` cookie; the "
            "measured process is peer A itself and peer B's worker. Each publish is, in the "
            f"bench process, a Redis PUBLISH of {what}: for peer A Tocsin's event JSON, the "
            "peer filling in the template; for peer B Flask-SocketIO's emit to the room "
            "through its message queue (its external-process emitter). No database for either.",
            "",
        ]
        if not tocsin:
            lines += [f"Each step waits {SETTLE_S:.0f} s once the target is held, and takes:", ""]
    publish = (
        f"`service.create()` calls in the bench process to random probe users, "
        f"{PUBLISH_SPACING_S * 1000:.0f} ms apart, until the probe's socket holds the item "
        "(database commit, Redis, the worker's listener, render, send)"
    )
    if peers:
        publish += "; for the peers, the Redis PUBLISH above"
    lines += [
        "- **RSS**, threads, fds of the worker (`/proc/<pid>/status`); **KiB / socket** = "
        "(RSS − idle RSS) / sockets;",
        f"- **idle CPU**: the worker's CPU over {CPU_WINDOW_S:.0f} s with every socket open "
        "and nothing published (100 % = one core);",
        f"- **ping**: {st['pings']} WebSocket pings to random sockets, "
        f"{PING_SPACING_S * 1000:.0f} ms apart, until the pong"
        + (
            " (WebSocket ping frames for peer B too: simple-websocket answers them)"
            if peers
            else ""
        )
        + ";",
        f"- **publish**: {st['publishes']} {publish};",
        f"- **fan-out**: {FANOUTS} publishes to random crowd users, one at a time, until the "
        "last of that user's sockets holds the item"
        + (" (Tocsin renders each socket's own message)." if tocsin else "."),
        "",
        "The ramp stops at the first step where a handshake fails, a push goes missing, or "
        f"the ping or publish p99 exceeds {st['p99_limit_s'] * 1000:.0f} ms. Times in ms "
        "(p50 / p99).",
        "",
    ]
    return lines


def markdown(data: dict) -> str:
    st = data["settings"]
    modes = list(data["modes"])
    peers = [m for m in modes if m in PEERS]
    tocsin = [m for m in modes if m not in PEERS]
    label = (lambda m: LABELS[m]) if peers else (lambda m: m)
    if peers:
        title = "# WebSockets one worker holds: " + " against ".join(
            filter(
                None, [", ".join(LABELS[m] for m in tocsin), " and ".join(LABELS[p] for p in peers)]
            )
        )
    else:
        title = "# WebSockets per gunicorn worker: gthread against gevent"
    lines = [title, "", *intro(st, modes)]
    lines += [
        "| mode | sockets | RSS MiB | KiB / socket | threads | handshake | ramp CPU % "
        "| idle CPU % | ping | publish | fan-out: sockets, to last p50 / max | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for mode, r in data["modes"].items():
        idle = r["idle"]
        lines.append(
            f"| {label(mode)} | 0 (idle) | {idle['rss_kb'] / 1024:.1f} | – | {idle['threads']} "
            f"| – | – | {idle['cpu_percent']:.0f} | – | – | – | |"
        )
        for s in r["steps"]:
            if "held" not in s:
                lines.append(
                    f"| {label(mode)} | {s['target']} | | | | | | | | | | {s['failures'][0]} |"
                )
                continue
            fan = s["fanout"]
            lines.append(
                f"| {label(mode)} | {s['held']} | {s['rss_kb'] / 1024:.1f} "
                f"| {s['rss_per_conn_kb']:.1f} | {s['threads']} | {p50_p99(s['handshake'])} "
                f"| {s['ramp_cpu_percent']:.0f} | {s['idle_cpu_percent']:.0f} "
                f"| {p50_p99(s['ping'])} | {p50_p99(s['publish']['latency'])} "
                f"| {fan['sockets_per_user']}: {fmt_ms(fan['to_last'].get('p50_ms'))} / "
                f"{fmt_ms(fan['to_last'].get('max_ms'))} "
                f"| {'; '.join(s['failures']) or 'held'} |"
            )
    lines += [
        "",
        "Then the master gets SIGTERM with every socket open "
        f"(`graceful_timeout` {GRACE_S} s); the client counts the close codes it received"
        + (
            " (peer A: SIGTERM to its process; peer B: to its gunicorn master, with the "
            f"same {GRACE_S} s `--graceful-timeout`):"
            if peers
            else ":"
        ),
        "",
        "| mode | sockets open | close codes | 1012 after p50 / p99 / max ms | master exit |",
        "|---|---:|---|---:|---:|",
    ]
    for mode, r in data["modes"].items():
        sd = r["shutdown"]
        after = sd["close_1012_after"]
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(sd["close_codes"].items()))
        lines.append(
            f"| {label(mode)} | {sd['sockets_open']} | {codes} | {p50_p99(after)} / "
            f"{fmt_ms(after.get('max_ms'))} | {sd['master_exit_code']} |"
        )
    if data.get("ratios"):
        lines += [
            "",
            "## Memory per socket against the peers",
            "",
            "KiB of RSS per socket at each step both held, and Tocsin's over the peer's "
            "(below 1: Tocsin uses less).",
            "",
            "| Tocsin | peer | sockets | Tocsin KiB / socket | peer KiB / socket | ratio |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for row in data["ratios"]:
            for s in row["steps"]:
                ratio = f"{s['ratio']:.2f}" if s["ratio"] is not None else "–"
                lines.append(
                    f"| {LABELS[row['tocsin']]} | {LABELS[row['peer']]} | {s['target']} "
                    f"| {s['tocsin_kb']:.1f} | {s['peer_kb']:.1f} | {ratio} |"
                )
        lines += [
            "",
            "| Tocsin / peer | memory per socket (largest common step) | sockets held |",
            "|---|---:|---:|",
        ]
        for row in data["ratios"]:
            mem = (
                f"{row['memory_ratio']:.2f} (at {row['at']:,})"
                if row["memory_ratio"] is not None
                else "–"
            )
            held = f"{row['held_ratio']:.2f}" if row["held_ratio"] is not None else "–"
            lines.append(f"| {LABELS[row['tocsin']]} / {LABELS[row['peer']]} | {mem} | {held} |")
    lines += ["", "## Summary", ""]
    for mode, r in data["modes"].items():
        top = top_step(r)
        per = f"{top['rss_per_conn_kb']:.0f} KiB RSS per socket at {top['held']}" if top else "–"
        lines.append(
            f"- **{label(mode)}**: held {r['max_held']} sockets ({per}); "
            f"stopped: {r['stopped_because']}."
        )
    if data.get("choice"):
        lines += ["", f"**Chosen: {data['choice']['mode']}** — {data['choice']['why']}.", ""]
    if peers and tocsin:
        lines += ["### Targets (issue 5)", "", *targets(data), ""]
    if data.get("hub"):
        lines += ["## gevent and the database drivers", "", serving_hub.markdown(data["hub"]), ""]
    lines += ["## Machine", "", machine_markdown(data["machine"]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"servers to ramp, in order, of {','.join(MODES + PEERS)} (gevent,peer_a,peer_b)",
    )
    parser.add_argument("--steps", default=",".join(map(str, STEPS)))
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--pings", type=int, default=PINGS)
    parser.add_argument("--publishes", type=int, default=PUBLISHES)
    parser.add_argument("--p99-limit", type=float, default=P99_LIMIT_S, help="seconds")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds of ramp per mode")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--embedded-broker", action="store_true", help="no Redis (for Tocsin)")
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--no-hub", action="store_true", help="skip the gevent/driver cases")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--name", default="serving", help="results file name")
    parser.add_argument("--logs", type=Path, help="copy the gunicorn logs into this folder")
    args = parser.parse_args(argv)
    args.modes = args.modes.split(",")
    args.steps = [int(s) for s in args.steps.split(",")]
    unknown = set(args.modes) - set(MODES + PEERS)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}: choose from {MODES + PEERS}")
    tocsin = [m for m in args.modes if m not in PEERS]
    peers = [m for m in args.modes if m in PEERS]

    nofile = raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-serving-"))
    redis_proc = redis_url = app = None
    template = template_path = None
    results, hub = {}, None
    keys = [f"p{i}" for i in range(PROBES)] + [f"c{i}" for i in range(args.users)]
    bench_users = {k: i + 1 for i, k in enumerate(keys)}  # the peers' users, without Tocsin
    try:
        extra = {
            "TOCSIN_BROKER_POLL_INTERVAL": "0.1",
            "TOCSIN_WORKER_CONNECTIONS": str(max(args.steps) + 100),
        }
        if peers or not args.embedded_broker:
            redis_proc, redis_url = start_redis(workdir)
        if not args.embedded_broker:
            extra["TOCSIN_REDIS_URL"] = redis_url
        env = None
        if tocsin:
            db_url = database_url(workdir if args.sqlite else None)
            env = server_env(workdir, db_url, **extra)
            os.environ.update({k: env[k] for k in ("TOCSIN_INSTANCE_PATH", *extra)})
            app = create_app(
                {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": env["TOCSIN_SECRET_KEY"]}
            )
            with app.app_context():
                db.create_all()
                bench_users = {k: users.create(db.session, username(k), "tocsin").id for k in keys}
                db.session.remove()
        for mode in args.modes:
            # The first Tocsin mode captures a push for the peers to send (before they run).
            args.capture_push = bool(peers) and mode not in PEERS and template is None
            results[mode] = run_mode(
                mode, args, env, app, bench_users, workdir, redis_url, template_path
            )
            if "push_template" in results[mode]:
                template = results[mode].pop("push_template")
                template_path = workdir / "push.html"
                template_path.write_text(template)
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        if tocsin and not args.no_hub:
            hub = serving_hub.run_all(datasets.PG_URL, workdir)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        if tocsin and not args.sqlite:
            drop_schema()
        shutil.rmtree(workdir, ignore_errors=True)
    choice = None
    if tocsin:
        mode, why = choose(results)
        choice = {"mode": mode, "why": why}
    data = {
        "settings": {
            "database": "SQLite" if args.sqlite else "PostgreSQL",
            "broker": "embedded database" if args.embedded_broker else "Redis",
            "compression": not args.no_compression,
            "users": args.users,
            "pings": args.pings,
            "publishes": args.publishes,
            "p99_limit_s": args.p99_limit,
            "steps": args.steps,
            "nofile": nofile,
            "modes": args.modes,
            **({"peer_template": template} if peers else {}),
        },
        "modes": results,
        "choice": choice,
        "ratios": peer_ratios(results),
        "hub": hub,
        "machine": stack_info(load_at_start),
    }
    emit(args.name, data, markdown(data), write=not args.no_write)


if __name__ == "__main__":
    main()
