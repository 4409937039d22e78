"""How many WebSockets one gunicorn worker holds: gthread against gevent.

Run: .venv/bin/python -m bench.serving [--modes gthread,gevent] [--steps 500,1000,...]

For each worker class, one worker (`gunicorn -c gunicorn.conf.py wsgi:app`,
PostgreSQL and a private Redis, as in production) is loaded step by step with
sockets from a separate asyncio client process (bench.serving_client). At each
step: handshakes, worker RSS and threads, idle CPU, ping round trips and
publish-to-push latency. The ramp stops at the first step where a handshake
fails, a push goes missing or a p99 exceeds --p99-limit. Then the master gets
SIGTERM with every socket open, and the close codes the clients saw are counted.
"""

import argparse
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
from app.extensions import db
from app.notifications import service
from tests.support import HttpSession, free_port, server_env

from . import datasets, serving_hub
from .report import ROOT, fmt_ms, machine_info, machine_markdown, percentile, write_results

PG_SCHEMA = "tocsin_bench_serving"
MODES = ("gthread", "gevent")
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
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
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


class Client:
    """The bench.serving_client process, driven one JSON line at a time."""

    def __init__(self, server: Gunicorn, cookies_file: Path, compression: bool) -> None:
        args = [
            sys.executable,
            "-m",
            "bench.serving_client",
            "--ws-url",
            server.url.replace("http://", "ws://") + "/notifications/ws",
            "--origin",
            server.url,
            "--cookies",
            str(cookies_file),
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


def probe_round(app, client: Client, users: dict[str, int], n: int) -> dict:
    """Publish n notifications to random probe users (one socket each), 50 ms apart."""
    sent: dict[int, float] = {}
    items = []
    probes = [key for key in users if key.startswith("p")]
    for k in range(n):
        key = random.choice(probes)
        nid, sent[nid] = publish(app, users[key], f"probe {k}")
        items.append([nid, key])
        time.sleep(PUBLISH_SPACING_S)
    got = client.call("collect", items=items, timeout=15)
    latencies = [t - sent[int(nid)] for nid, times in got["arrivals"].items() for t in times]
    return {
        "latency": ms_summary(latencies),
        "delivered": len(latencies),
        "expected": sum(got["expected"].values()),
    }


def fanout_round(app, client: Client, users: dict[str, int], n: int) -> dict:
    """Publish to n random crowd users, one at a time; time until all their sockets have it."""
    to_last, sockets, missing = [], 0, 0
    crowd = [key for key in users if key.startswith("c")]
    for k in range(n):
        key = random.choice(crowd)
        nid, start = publish(app, users[key], f"fan-out {k}")
        got = client.call("collect", items=[[nid, key]], timeout=15)
        times = got["arrivals"][str(nid)]
        expected = got["expected"][str(nid)]
        sockets, missing = expected, missing + expected - len(times)
        if times:
            to_last.append(max(times) - start)
    return {"sockets_per_user": sockets, "to_last": ms_summary(to_last), "missing": missing}


def run_mode(mode: str, args, env: dict, app, users: dict[str, int], workdir: Path) -> dict:
    print(f"== {mode}", flush=True)
    server = Gunicorn(mode, env, workdir / f"gunicorn-{mode}.log")
    result: dict = {"mode": mode, "steps": [], "stopped_because": "all steps held"}
    client = None
    try:
        cookies = {key: HttpSession(server.url).login(username(key)).cookie_header for key in users}
        cookies_file = workdir / "cookies.json"
        cookies_file.write_text(json.dumps(cookies))
        with HttpSession(server.url).login(username("c0")).websocket() as ws:  # warm-up
            ws.recv(timeout=10)
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
                step = measure_step(server, client, app, users, n, idle, args)
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
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            shutil.copy(server.log, args.logs)
    return result


def measure_step(server, client, app, users, n: int, idle: dict, args) -> dict:
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
    step["publish"] = probe_round(app, client, users, args.publishes)
    step["publish_cpu_percent"] = (
        100 * (cpu_seconds(server.worker_pid) - cpu_before) / (time.monotonic() - t0)
    )
    step["fanout"] = fanout_round(app, client, users, FANOUTS)
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


def graceful_shutdown(server: Gunicorn, client: Client, args) -> dict:
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
    """Pick the mode that held the most sockets; on a tie, the one with less memory each."""

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


def markdown(data: dict) -> str:
    st = data["settings"]
    lines = [
        "# WebSockets per gunicorn worker: gthread against gevent",
        "",
        "One worker (`gunicorn -c gunicorn.conf.py wsgi:app`, `TOCSIN_WORKERS=1`) on "
        f"{st['database']} with the {st['broker']} broker, loaded from a separate asyncio "
        f"client process (`websockets`, permessage-deflate {'on' if st['compression'] else 'off'}"
        ", as browsers offer it). Every socket logs in over HTTP first and sends the server's "
        f"Origin. {PROBES} probe users hold one socket each; the crowd is dealt round-robin over "
        f"{st['users']} more users. Each step opens sockets (50 handshakes in flight) until the "
        "target is held, each counted once its snapshot arrived, then waits "
        f"{SETTLE_S:.0f} s and takes:",
        "",
        "- **RSS**, threads, fds of the worker (`/proc/<pid>/status`); **KiB / socket** = "
        "(RSS − idle RSS) / sockets;",
        f"- **idle CPU**: the worker's CPU over {CPU_WINDOW_S:.0f} s with every socket open "
        "and nothing published (100 % = one core);",
        f"- **ping**: {st['pings']} WebSocket pings to random sockets, "
        f"{PING_SPACING_S * 1000:.0f} ms apart, until the pong;",
        f"- **publish**: {st['publishes']} `service.create()` calls in the bench process to "
        f"random probe users, {PUBLISH_SPACING_S * 1000:.0f} ms apart, until the probe's socket "
        "holds the item (database commit, Redis, the worker's listener, render, send);",
        f"- **fan-out**: {FANOUTS} publishes to random crowd users, one at a time, until the "
        "last of that user's sockets holds the item (every socket renders its own message).",
        "",
        "The ramp stops at the first step where a handshake fails, a push goes missing, or "
        f"the ping or publish p99 exceeds {st['p99_limit_s'] * 1000:.0f} ms. Times in ms "
        "(p50 / p99).",
        "",
        "| mode | sockets | RSS MiB | KiB / socket | threads | handshake | ramp CPU % "
        "| idle CPU % | ping | publish | fan-out: sockets, to last p50 / max | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for mode, r in data["modes"].items():
        idle = r["idle"]
        lines.append(
            f"| {mode} | 0 (idle) | {idle['rss_kb'] / 1024:.1f} | – | {idle['threads']} | – | – "
            f"| {idle['cpu_percent']:.0f} | – | – | – | |"
        )
        for s in r["steps"]:
            if "held" not in s:
                lines.append(f"| {mode} | {s['target']} | | | | | | | | | | {s['failures'][0]} |")
                continue
            fan = s["fanout"]
            lines.append(
                f"| {mode} | {s['held']} | {s['rss_kb'] / 1024:.1f} "
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
        f"(`graceful_timeout` {GRACE_S} s); the client counts the close codes it received:",
        "",
        "| mode | sockets open | close codes | 1012 after p50 / p99 / max ms | master exit |",
        "|---|---:|---|---:|---:|",
    ]
    for mode, r in data["modes"].items():
        sd = r["shutdown"]
        after = sd["close_1012_after"]
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(sd["close_codes"].items()))
        lines.append(
            f"| {mode} | {sd['sockets_open']} | {codes} | {p50_p99(after)} / "
            f"{fmt_ms(after.get('max_ms'))} | {sd['master_exit_code']} |"
        )
    lines += ["", "## Summary", ""]
    for mode, r in data["modes"].items():
        top = next((s for s in reversed(r["steps"]) if not s["failures"]), None)
        per = f"{top['rss_per_conn_kb']:.0f} KiB RSS per socket at {top['held']}" if top else "–"
        lines.append(
            f"- **{mode}**: held {r['max_held']} sockets ({per}); stopped: {r['stopped_because']}."
        )
    lines += ["", f"**Chosen: {data['choice']['mode']}** — {data['choice']['why']}.", ""]
    lines += ["## gevent and the database drivers", "", serving_hub.markdown(data["hub"]), ""]
    lines += ["## Machine", "", machine_markdown(data["machine"]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--steps", default=",".join(map(str, STEPS)))
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--pings", type=int, default=PINGS)
    parser.add_argument("--publishes", type=int, default=PUBLISHES)
    parser.add_argument("--p99-limit", type=float, default=P99_LIMIT_S, help="seconds")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds of ramp per mode")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--embedded-broker", action="store_true", help="no Redis")
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--name", default="serving", help="results file name")
    parser.add_argument("--logs", type=Path, help="copy the gunicorn logs into this folder")
    args = parser.parse_args(argv)
    args.modes = args.modes.split(",")
    args.steps = [int(s) for s in args.steps.split(",")]

    nofile = raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-serving-"))
    redis_proc = None
    try:
        db_url = database_url(workdir if args.sqlite else None)
        extra = {
            "TOCSIN_BROKER_POLL_INTERVAL": "0.1",
            "TOCSIN_WORKER_CONNECTIONS": str(max(args.steps) + 100),
        }
        if not args.embedded_broker:
            redis_proc, extra["TOCSIN_REDIS_URL"] = start_redis(workdir)
        env = server_env(workdir, db_url, **extra)
        os.environ.update({k: env[k] for k in ("TOCSIN_INSTANCE_PATH", *extra)})
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": env["TOCSIN_SECRET_KEY"]}
        )
        with app.app_context():
            db.create_all()
            keys = [f"p{i}" for i in range(PROBES)] + [f"c{i}" for i in range(args.users)]
            bench_users = {k: users.create(db.session, username(k), "tocsin").id for k in keys}
            db.session.remove()
        results = {
            mode: run_mode(mode, args, env, app, bench_users, workdir) for mode in args.modes
        }
        with app.app_context():
            db.engine.dispose()
        hub = serving_hub.run_all(datasets.PG_URL, workdir)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        if not args.sqlite:
            drop_schema()
        shutil.rmtree(workdir, ignore_errors=True)
    mode, why = choose(results)
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
        },
        "modes": results,
        "choice": {"mode": mode, "why": why},
        "hub": hub,
        "machine": machine_info(
            load_avg_at_start=load_at_start,
            gunicorn=_version("gunicorn"),
            gevent=_version("gevent"),
            psycopg=_version("psycopg"),
        ),
    }
    text = markdown(data)
    print(text)
    if not args.no_write:
        for path in write_results(args.name, data, text):
            print(f"wrote {path.relative_to(ROOT)}")


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
