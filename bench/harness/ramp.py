"""One step of a socket ramp against one server, driven through a bench.clients.crowd
process: open up to n sockets, then memory, idle CPU, pings, publishes and fan-outs;
and the graceful shutdown at the end of a ramp.

`publisher(user_id, title) -> (id, monotonic start)` publishes one push to a user:
through `service.create()` for Tocsin, a Redis PUBLISH for a peer.
"""

import os
import random
import re
import signal
import time
from pathlib import Path

from websockets.sync.client import connect

from . import tocsin_app
from .machine import cpu_percent, cpu_seconds, proc_stats
from .push import push_template
from .stats import ms_summary

PROBES = 5
FANOUTS = 3
PING_SPACING_S = 0.01
PUBLISH_SPACING_S = 0.05
SETTLE_S = 2.0
CPU_WINDOW_S = 3.0
SERVICE_RESTART = 1012
#: tocsin.gunicorn's default unless TOCSIN_GRACEFUL_TIMEOUT says otherwise.
GRACE_S = int(os.environ.get("TOCSIN_GRACEFUL_TIMEOUT") or 10)


def tocsin_publisher(app):
    def publish(user_id: int, title: str) -> tuple[int, float]:
        start = time.monotonic()
        return tocsin_app.create(app, user_id, title), start

    return publish


def peer_publisher(publish):
    """A Redis PUBLISH of one push to the user (the title is Tocsin's; peers have none)."""

    def publisher(user_id: int, title: str) -> tuple[int, float]:
        start = time.monotonic()
        return publish(user_id, time.time_ns()), start

    return publisher


def warm_up(server, cookie: str, capture=None) -> str | None:
    """One socket opened until its snapshot, then closed; with `capture(ws)`, its result."""
    headers = {"Cookie": cookie}
    with connect(server.ws_url, origin=server.origin, additional_headers=headers, proxy=None) as ws:
        if server.protocol == "socketio":
            ws.recv(timeout=10)  # Engine.IO open
            ws.send("40")
            while not ws.recv(timeout=10).startswith('42["snapshot"'):
                pass
        else:
            ws.recv(timeout=10)
        return capture(ws) if capture else None


#: Notifications published in turn until one push carries one of them alone.
CAPTURE_ATTEMPTS = 5
NOTIFICATION_ID = re.compile(r'id="notification-(\d+)"')


def capture_push(app, user_id: int):
    """A push Tocsin really sends, as the peers' template (id and stamp made placeholders)."""

    def capture(ws) -> str:
        for _attempt in range(CAPTURE_ATTEMPTS):
            stamp = str(time.time_ns())
            nid = tocsin_app.create(app, user_id, f"t={stamp}")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                message = ws.recv(timeout=10)
                if f'id="notification-{nid}"' not in message:
                    continue
                # A push may carry an earlier notification still on its way too: its
                # id would then be in every peer push, once per user (a smoke run
                # failed so). Only a push of this one notification alone will do.
                if set(NOTIFICATION_ID.findall(message)) == {str(nid)}:
                    return push_template([message, nid, stamp])
                break
        raise RuntimeError("the warm-up socket never received a push of one notification")

    return capture


def probe_round(publisher, client, users: dict[str, int], n: int) -> dict:
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


def fanout_round(publisher, client, users: dict[str, int], n: int) -> dict:
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


def measure_step(server, client, publisher, users, n: int, idle: dict, args) -> dict:
    """Open sockets up to n; measure; list what failed (args: pings, publishes, p99_limit)."""
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


def graceful_shutdown(server, client) -> dict:
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
    """The figures of a step worth printing while the ramp runs."""
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
