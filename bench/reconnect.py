"""Reconnect storm: kill the worker under 1,000 sockets; time until they are back, count misses.

Run: .venv/bin/python -m bench.reconnect [--sockets 1000] [--users 50] [--rate 10]
     [--signals KILL,TERM] [--peers a]

Tocsin runs as in production: one gevent worker (`gunicorn -c gunicorn.conf.py wsgi:app`,
TOCSIN_WORKERS=1) on PostgreSQL (schema tocsin_bench_reconnect, dropped after) with a
private Redis. A separate asyncio client process (bench.reconnect_client) holds the
sockets, dealt over users who logged in over HTTP, and reconnects each like the htmx ws
extension with Tocsin's page settings. This process publishes through
`service.create()` to random users at a steady rate for the whole run, worker down or
not, then kills the worker (SIGKILL: a crash; gunicorn's master forks a new one; or
SIGTERM: a graceful restart, sockets closed with 1012) and measures the time from the
kill until 50 %, 99 % and 100 % of the sockets had a new snapshot. Afterwards every
socket's page model is checked against the database: every notification of its user
newer than the oldest item of its latest snapshot (all of them if that snapshot held
less than a page) must be on it exactly once, and its badge must equal the user's
unread rows. Peer A (bench.peers.raw_ws) gets the same storm: killed and restarted on
the same port; it keeps nothing, so what was published while a socket was away is
missed, and counted.
"""

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

from . import datasets
from .report import ROOT, emit, fmt_ms, machine_markdown, stack_info
from .serving import Client, cpu_seconds, raise_nofile, start_redis

PG_SCHEMA = "tocsin_bench_reconnect"
TOCSIN_PREFIX = "bench-reconnect"
PEER_PREFIX = "bench-reconnect-peer-a"
SIGNALS = {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM}


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


def username(key: str) -> str:
    return f"storm{key}"


def user_keys(users: int) -> list[str]:
    return [f"u{i:03d}" for i in range(users)]


class StormClient(Client):
    """bench.reconnect_client in its own process, driven like bench.serving's Client."""

    def __init__(
        self, ws_url: str, origin: str, cookies: dict[str, str], workdir: Path, backoff, protocol
    ):
        cookies_file = workdir / f"cookies-{time.monotonic_ns()}.json"
        cookies_file.write_text(json.dumps(cookies))
        args = [sys.executable, "-m", "bench.reconnect_client", "--ws-url", ws_url]
        args += ["--origin", origin, "--cookies", str(cookies_file), "--backoff", backoff]
        args += ["--protocol", protocol]
        self.proc = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )


class Publisher:
    """Publish to random users at a steady rate from `threads` threads until stopped."""

    def __init__(self, publish, user_ids: dict[str, int], rate: float, threads: int = 1):
        self.publish = publish
        self.user_ids = user_ids
        self.rate = rate
        self.records: list[tuple[int, str, float, float]] = []  # id, user, start, end
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(threads,)) for _ in range(threads)
        ]

    def start(self) -> "Publisher":
        for t in self._threads:
            t.start()
        return self

    def _run(self, threads: int) -> None:
        keys = sorted(self.user_ids)
        interval = threads / self.rate
        next_at = time.monotonic() + random.uniform(0, interval)
        while not self._stop.is_set():
            key = random.choice(keys)
            start = time.monotonic()
            try:
                nid = self.publish(self.user_ids[key], time.time_ns())
            except Exception as exc:  # counted: a publish that failed is no notification
                self.errors.append(repr(exc))
            else:
                self.records.append((nid, key, start, time.monotonic()))
            next_at += interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()


def tocsin_publisher(app):
    """`service.create()` in this process: insert, commit, then the broker's PUBLISH."""
    from tocsin.extensions import db
    from tocsin.notifications import service

    def publish(user_id: int, stamp: int) -> int:
        with app.app_context():
            try:
                return service.create(db.session, user_id, type="comment", title=f"t={stamp}").id
            finally:
                db.session.remove()

    return publish


def worker_pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except FileNotFoundError:
        return []


def wait_healthz(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def pin(pid: int | None, core: int) -> None:
    """Keep `pid` (every thread of it) on one core; children it forks later inherit it."""
    if pid and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2:
        for task in Path(f"/proc/{pid}/task").iterdir():
            os.sched_setaffinity(int(task.name), {core})


def cores() -> tuple[int, int]:
    ordered = sorted(os.sched_getaffinity(0))
    return ordered[0], ordered[-1]


class GunicornTarget:
    """A gunicorn master's one worker: killed with a signal, replaced by the master."""

    protocol = "ws"

    def __init__(self, name: str, url: str, ws_url: str, master_pid: int, pinned: bool) -> None:
        self.name = name
        self.url = url
        self.master = master_pid
        self.pinned = pinned
        self.ws_url = ws_url
        self.origin = url
        if pinned:  # the master's future workers inherit its core
            pin(master_pid, cores()[0])
            for pid in worker_pids(master_pid):
                pin(pid, cores()[0])

    @property
    def pid(self) -> int:
        return worker_pids(self.master)[0]

    def kill(self, sig: int) -> dict:
        """Signal the worker; watch (on a thread) when it is gone and a new one is forked."""
        old = self.pid
        seen: dict = {"old_pid": old}

        def watch() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                pids = worker_pids(self.master)
                if old not in pids and "old_gone_at" not in seen:
                    seen["old_gone_at"] = time.monotonic()
                new = [p for p in pids if p != old]
                if new:
                    seen["new_pid"], seen["new_forked_at"] = new[0], time.monotonic()
                    return
                time.sleep(0.002)

        self._watcher = threading.Thread(target=watch, daemon=True)
        self._watcher.start()
        seen["at"] = time.monotonic()
        os.kill(old, sig)
        return seen

    def after_storm(self, seen: dict) -> None:
        self._watcher.join(timeout=120)
        wait_healthz(self.url)


class PeerProcess:
    """bench.peers.raw_ws on a fixed port, so a restart comes back where clients look."""

    name = "peer_a"
    protocol = "ws"

    def __init__(self, redis_url: str, prefix: str, port: int, pinned: bool) -> None:
        self.redis_url, self.prefix, self.port, self.pinned = redis_url, prefix, port, pinned
        self.ws_url = f"ws://127.0.0.1:{port}/ws"
        self.origin = f"http://127.0.0.1:{port}"
        self.proc = None
        self.start()

    def start(self) -> None:
        core = cores()[0]
        args = [sys.executable, "-m", "bench.peers.raw_ws", "--redis-url", self.redis_url]
        args += ["--prefix", self.prefix, "--port", str(self.port)]
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, {core})) if self.pinned else None,  # noqa: PLW1509
        )
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"peer A did not start: {line!r}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self, sig: int) -> dict:
        """Signal the peer and, once it is gone, start it again on the same port at once,
        as a supervisor (systemd Restart=always, RestartSec=0) would."""
        seen = {"old_pid": self.proc.pid, "at": time.monotonic()}
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)
        seen["old_gone_at"] = time.monotonic()
        self.start()
        seen["new_pid"], seen["new_forked_at"] = self.proc.pid, time.monotonic()
        return seen

    def after_storm(self, seen: dict) -> None:
        pass

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def peer_publisher(redis_url: str, prefix: str):
    """Peer A's publish: Tocsin's event JSON on the user's channel, ids from a counter."""
    import redis

    client = redis.Redis.from_url(redis_url)
    lock = threading.Lock()
    counter = iter(range(1, 10**9))

    def publish(user_id: int, stamp: int) -> int:
        with lock:
            nid = next(counter)
        event = {"kind": "created", "ids": [nid], "t": stamp}
        client.publish(f"{prefix}:user:{user_id}", json.dumps({"origin": "bench", "event": event}))
        return nid

    publish.close = client.close
    return publish


def at_fraction(times: list[float], fraction: float, total: int) -> float | None:
    """The time by which `fraction` of `total` were back (None if fewer ever came back)."""
    need = max(1, math.ceil(fraction * total))
    ordered = sorted(times)
    return ordered[need - 1] if len(ordered) >= need else None


def storm(target, client: StormClient, publisher: Publisher, sig: int, st: Settings) -> dict:
    """Open the sockets, publish, kill, wait until the sockets are back; return the raw run."""
    opened = client.call("start", total=st.sockets, timeout=120)
    if st.pinned:
        pin(client.proc.pid, cores()[1])
    publisher.start()
    time.sleep(st.before_s)
    cpu0 = cpu_seconds(client.proc.pid)
    seen = target.kill(sig)
    kill_at = seen["at"]
    back = client.call("wait_back", since=kill_at, timeout=st.back_timeout_s)
    back_at = time.monotonic()
    client_cpu = 100 * (cpu_seconds(client.proc.pid) - cpu0) / (back_at - kill_at)
    target.after_storm(seen)
    time.sleep(st.after_s)
    publisher.stop()
    latest: dict[str, int] = {}
    for nid, key, _, _ in publisher.records:
        latest[key] = max(latest.get(key, 0), nid)
    settled = client.call("wait_for", latest=latest, timeout=30, settle=st.settle_s)
    tabs = client.call("report")["tabs"]
    return {
        "opened": opened,
        "kill": seen,
        "back": back,
        "settled": settled,
        "storm_client_cpu_percent": client_cpu,
        "tabs": tabs,
        "records": publisher.records,
        "publish_errors": publisher.errors,
    }


def timing(raw: dict) -> dict:
    """Times from the kill: closes seen, respawn, and 50 / 99 / 100 % of the sockets back."""
    kill = raw["kill"]
    at = kill["at"]
    tabs = [t for t in raw["tabs"] if t["opens"] and t["opens"][0] <= at]
    held = len(tabs)
    back, closed, codes, attempts, failures, gave_up = [], [], Counter(), 0, Counter(), Counter()
    first_back, again = [], 0
    for t in tabs:
        after = [o for o in t["opens"] if o > at]
        if after:
            first_back.append(after[0] - at)
            # Back for good: the snapshot that began the connection it still held at the end.
            if t["connected"]:
                back.append(after[-1] - at)
        closes = [c for c in t["closes"] if c[0] > at]
        if len(closes) > 1:
            again += 1  # came back, then was dropped again (a dying worker took it in)
        if closes:
            closed.append(closes[0][0] - at)
            codes[str(closes[0][1])] += 1
        fails = [f for f in t["failures"] if f[0] > at]
        failures.update(what for _, what in fails)
        attempts += len(fails) + len(after)
        if t["gave_up"] is not None:
            gave_up[str(t["gave_up"])] += 1

    def ms(s: float | None) -> float | None:
        return None if s is None else s * 1000

    return {
        "held_at_kill": held,
        "back": len(back),
        "never_closed": held - len(closed),
        "gave_up": dict(gave_up),
        "close_codes": dict(codes),
        "closes_seen_ms": {
            "p50": ms(at_fraction(closed, 0.5, len(closed) or 1)),
            "max": ms(max(closed, default=None)),
        },
        "old_gone_ms": ms(kill.get("old_gone_at", at) - at) if "old_gone_at" in kill else None,
        "new_forked_ms": ms(kill["new_forked_at"] - at) if "new_forked_at" in kill else None,
        "first_back_ms": ms(min(first_back, default=None)),
        "dropped_again": again,
        "back_50_ms": ms(at_fraction(back, 0.50, held)),
        "back_99_ms": ms(at_fraction(back, 0.99, held)),
        "back_100_ms": ms(at_fraction(back, 1.0, held)),
        "attempts_after_kill": attempts,
        "failed_handshakes": sum(failures.values()),
        "failed_by_error": dict(failures),
        "back_ms_all": sorted(round(b * 1000, 1) for b in back),
    }


def away_pairs(tab: dict, kill_at: float, by_user: dict[str, list], end: float) -> int:
    """How many of the tab's user's notifications were published while the tab was away."""
    closes = [c[0] for c in tab["closes"] if c[0] > kill_at]
    reopen = next((o for o in tab["opens"] if o > kill_at), end)
    gone = min([kill_at, *closes])
    return sum(1 for _, start, _ in by_user[tab["user"]] if gone <= start <= reopen)


def check_tocsin(raw: dict, app, user_ids: dict[str, int], page_size: int) -> dict:
    """Every socket's page against the database: nothing missing, nothing twice, badge right."""
    from tocsin.extensions import db

    with app.app_context():
        rows = db.session.execute(sa.text("SELECT user_id, id FROM tocsin_notifications")).all()
        unread = dict(
            db.session.execute(
                sa.text(
                    "SELECT user_id, count(*) FROM tocsin_notifications "
                    "WHERE read_at IS NULL GROUP BY user_id"
                )
            ).all()
        )
        counters = dict(
            db.session.execute(sa.text("SELECT user_id, unread FROM tocsin_unread_counters")).all()
        )
        db.session.remove()
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
        want = {nid for nid in ids_of[uid] if nid >= lower}
        shown = tab["ids"]
        lost = sorted(want - set(shown))
        unknown = sorted(set(shown) - ids_of[uid])
        missed += len(lost)
        extra += len(unknown)
        duplicated += len(tab["duplicates"])
        right = unread.get(uid, 0)
        if tab["badge"] != right:
            badge_wrong += 1
        if not tab["connected"]:
            not_connected += 1
        away += away_pairs(tab, kill_at, by_user, end)
        if (lost or unknown or tab["duplicates"] or tab["badge"] != right) and len(examples) < 10:
            examples.append(
                {
                    "socket": i,
                    "user": tab["user"],
                    "missed": lost,
                    "unknown": unknown,
                    "duplicates": tab["duplicates"],
                    "badge": tab["badge"],
                    "db_unread": right,
                    "snapshot_oldest": lower,
                    "opens_after_kill": [
                        round(o - kill_at, 3) for o in tab["opens"] if o > kill_at
                    ],
                }
            )
    counter_wrong = sum(
        1 for uid in user_ids.values() if counters.get(uid, 0) != unread.get(uid, 0)
    )
    return {
        "published": len(published),
        "published_not_committed": len(published - committed),
        "away_pairs": away,
        "missed": missed,
        "duplicated": duplicated,
        "unknown_ids": extra,
        "badge_wrong": badge_wrong,
        "counter_row_wrong": counter_wrong,
        "not_connected_at_end": not_connected,
        "examples": examples,
    }


def check_peer(raw: dict) -> dict:
    """Peer A keeps nothing: a notification published while a socket was away is missed."""
    by_user = defaultdict(list)
    for nid, key, start, end in raw["records"]:
        by_user[key].append((nid, start, end))
    kill_at = raw["kill"]["at"]
    end = max((r[3] for r in raw["records"]), default=0)
    missed = missed_away = duplicated = not_connected = away = 0
    # "Away": from the kill until the socket's first new snapshot.
    for tab in raw["tabs"]:
        received = {int(k): n for k, n in tab["received"].items()}
        duplicated += len(tab["duplicates"])
        reopen = next((o for o in tab["opens"] if o > kill_at), math.inf)
        if not tab["connected"]:
            not_connected += 1
        away += away_pairs(tab, kill_at, by_user, end)
        for nid, start, _ in by_user[tab["user"]]:
            if not tab["opens"] or start < tab["opens"][0]:
                continue  # published before this socket first connected
            if nid not in received:
                missed += 1
                if kill_at <= start <= reopen:
                    missed_away += 1
    return {
        "published": len(raw["records"]),
        "away_pairs": away,
        "missed": missed,
        "missed_while_away": missed_away,
        # Published before the kill, or after the socket was back (peer B: before the new
        # worker's Redis subscription was live).
        "missed_other": missed - missed_away,
        "duplicated": duplicated,
        "not_connected_at_end": not_connected,
    }


def run_round(target, cookies, publish, user_ids, sig_name: str, st: Settings, workdir, check):
    """One storm against one target with a fresh client; its timing and its check."""
    client = StormClient(
        target.ws_url, target.origin, cookies, workdir, st.backoff, target.protocol
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
        "opened": {k: v for k, v in raw["opened"].items()},
        "storm_client_cpu_percent": raw["storm_client_cpu_percent"],
        "settled": raw["settled"],
        "publish_errors": len(raw["publish_errors"]),
        **timing(raw),
        **check(raw),
    }
    failures = []
    if raw["opened"]["held"] < st.sockets:
        failures.append(f"{st.sockets - raw['opened']['held']} sockets never opened")
    for key in ("missed", "duplicated", "unknown_ids", "badge_wrong", "counter_row_wrong"):
        if result.get(key):
            failures.append(f"{result[key]} {key.replace('_', ' ')}")
    if result["back"] < result["held_at_kill"]:
        failures.append(f"{result['held_at_kill'] - result['back']} sockets not back")
    if result["publish_errors"]:
        failures.append(f"{result['publish_errors']} publishes failed")
    result["failures"] = failures
    return result


def seed_users(app, user_ids: dict[str, int], per_user: int) -> None:
    from tocsin.extensions import db
    from tocsin.notifications import service

    with app.app_context():
        for _ in range(per_user):
            for uid in user_ids.values():
                service.create(db.session, uid, type="comment", title="before the storm")
        db.session.remove()


def login_all(url: str, keys: list[str]) -> dict[str, str]:
    from tests.support import HttpSession

    return {k: HttpSession(url).login(username(k)).cookie_header for k in keys}


def create_users(app, keys: list[str]) -> dict[str, int]:
    from tocsin import users
    from tocsin.extensions import db

    with app.app_context():
        db.create_all()
        ids = {k: users.create(db.session, username(k), "tocsin").id for k in keys}
        db.session.remove()
    return ids


def tocsin_rounds(url, master_pid, app, cookies, user_ids, signals, st, workdir) -> list[dict]:
    """Storms against a running Tocsin (gunicorn master `master_pid`) whose users logged in."""
    ws_url = url.replace("http://", "ws://") + "/notifications/ws"
    target = GunicornTarget("tocsin", url, ws_url, master_pid, st.pinned)
    rows = []
    for sig in signals:
        print(f"== Tocsin, SIG{sig}", flush=True)
        row = run_round(
            target,
            cookies,
            tocsin_publisher(app),
            user_ids,
            sig,
            st,
            workdir,
            lambda raw: check_tocsin(raw, app, user_ids, st.page_size),
        )
        print(f"   {brief(row)}", flush=True)
        rows.append(row)
    return rows


def peer_a_rounds(redis_url, signals, st, workdir) -> list[dict]:
    from tests.support import free_port

    keys = user_keys(st.users)
    user_ids = {k: i + 1 for i, k in enumerate(keys)}
    cookies = {k: f"bench_user={uid}" for k, uid in user_ids.items()}
    rows = []
    for sig in signals:
        print(f"== peer A, SIG{sig}", flush=True)
        peer = PeerProcess(redis_url, PEER_PREFIX, free_port(), st.pinned)
        publish = peer_publisher(redis_url, PEER_PREFIX)
        try:
            row = run_round(peer, cookies, publish, user_ids, sig, st, workdir, check_peer)
        finally:
            peer.stop()
            publish.close()
        # Peer A keeps nothing, and gives up after 1001: losses and sockets left offline
        # are the finding, shown in the table, not a failure of the run.
        row["failures"] = [f for f in row["failures"] if "missed" not in f and "not back" not in f]
        print(f"   {brief(row)}", flush=True)
        rows.append(row)
    return rows


def peer_b_rounds(redis_url, signals, st, workdir) -> list[dict]:
    """Peer B (Flask-SocketIO, one gunicorn gevent worker): the same storm, worker killed."""
    from bench.peers.socketio_peer import PeerB, peer_b_publisher

    keys = user_keys(st.users)
    user_ids = {k: i + 1 for i, k in enumerate(keys)}
    cookies = {k: f"bench_user={uid}" for k, uid in user_ids.items()}
    rows = []
    for sig in signals:
        print(f"== peer B, SIG{sig}", flush=True)
        prefix = f"bench-reconnect-peer-b-{sig.lower()}"
        peer = PeerB(redis_url, prefix, worker_connections=st.sockets + 200)
        target = GunicornTarget("peer_b", peer.url, peer.ws_url, peer.proc.pid, st.pinned)
        target.protocol = "socketio"
        publish = peer_b_publisher(redis_url, prefix)
        try:
            row = run_round(target, cookies, publish, user_ids, sig, st, workdir, check_peer)
        finally:
            peer.stop()
            publish.close()
        row["failures"] = [f for f in row["failures"] if "missed" not in f and "not back" not in f]
        print(f"   {brief(row)}", flush=True)
        rows.append(row)
    return rows


def brief(row: dict) -> str:
    keys = (
        "held_at_kill",
        "back",
        "dropped_again",
        "close_codes",
        "gave_up",
        "new_forked_ms",
        "first_back_ms",
        "back_50_ms",
        "back_99_ms",
        "back_100_ms",
        "failed_handshakes",
        "failed_by_error",
        "published",
        "away_pairs",
        "missed",
        "duplicated",
        "badge_wrong",
        "failures",
    )
    return json.dumps({k: row.get(k) for k in keys}, default=str)


def markdown(data: dict) -> str:
    st = data["settings"]
    backoff = (
        "Tocsin's page delay (`static/tocsin/tocsin.js`: equal jitter, "
        "`m = min(400 ms · 2^retry, 8 s)`, a uniform pick in [m/2, m])"
        if st["backoff"] == "tocsin"
        else "htmx-ext-ws's default full jitter (`1 s · 2^min(retry, 6) · random()`)"
    )
    lines = [
        "# Reconnect storm: a worker killed under "
        f"{st['sockets']:,} sockets (issue 5, measurement 6)",
        "",
        "Tocsin: one gevent worker (`gunicorn -c gunicorn.conf.py wsgi:app`, "
        "`TOCSIN_WORKERS=1`) on PostgreSQL with a private Redis. "
        f"{st['sockets']:,} sockets over {st['users']} users (each logged in over HTTP; "
        f"{st['sockets'] // st['users']} tabs each), held by one asyncio client process "
        "(`bench.reconnect_client`, `websockets`, permessage-deflate on) that reconnects each "
        f"socket as the htmx ws extension does (after 1006/1011/1012/1013 or a failed "
        f"handshake; any other close code ends it), with {backoff}. Each user starts with "
        f"{st['seed']} notifications, so every snapshot renders a full page of "
        f"{st['page_size']}. The bench process publishes `service.create()` to random users "
        f"at {st['rate']:g}/s ({st['publishers']} thread(s)) for the whole run, worker down or "
        f"not: {st['before_s']:g} s before the kill, then until every socket is back, then "
        f"{st['after_s']:g} s more. **SIGKILL** is a crash (gunicorn's master forks a new "
        "worker); **SIGTERM** a graceful restart (the worker closes its sockets with 1012, "
        "then exits; the master forks the next one). Times are from the signal until the "
        "socket's new snapshot arrived. Peer A (`bench.peers.raw_ws`) is SIGKILLed or "
        "SIGTERMed and started again on the same port at once, as a supervisor would. Peer B "
        "(`bench.peers.socketio_peer`: Flask-SocketIO with its Redis message queue, one "
        "gunicorn gevent worker) has its worker signalled like Tocsin's; its sockets speak "
        "Socket.IO over the websocket transport and reconnect after any close (as "
        "socket.io-client does), with the same delays."
        + (
            " The gunicorn master (so every worker it forks) and the peer ran on the first "
            "core, the client on the last; the publisher, PostgreSQL and Redis float."
            if st["pinned"]
            else ""
        ),
        "",
        "**Missed** (Tocsin) is checked against the database after the run: for every socket, "
        "every notification of its user with an id at least the oldest one in that socket's "
        "latest snapshot (a full page; older ones are behind *load more*) must be in the "
        "socket's model of the list (latest snapshot + pushes after it); **duplicated** "
        "counts items pushed while already shown; **badge ≠ DB**: sockets whose last "
        "badge differs from the user's unread rows (`count(*)`). For the peers, which keep "
        "nothing, missed = published to the socket's user and never received, split into "
        "*while away* (between the kill and the socket's first new snapshot) and *other*. "
        "*Published while away*: "
        "(socket, notification) pairs published between the kill and that socket's new "
        "snapshot, the ones a reconnect must recover.",
        "",
        "| server | signal | sockets at kill | close codes | gave up | dropped again "
        "| new process after "
        "| first back | 50 % back | 99 % back | 100 % back | failed handshakes "
        "| published (while away) | missed | duplicated | badge ≠ DB |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in data["runs"]:
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(r["close_codes"].items())) or "–"
        gave_up = sum(r["gave_up"].values())
        failed = str(r["failed_handshakes"])
        if r["failed_by_error"]:
            failed += " (" + ", ".join(f"{e}: {n}" for e, n in r["failed_by_error"].items()) + ")"
        missed = str(r["missed"])
        if "missed_while_away" in r:
            missed += f" ({r['missed_while_away']} while away, {r['missed_other']} other)"
        lines.append(
            f"| {r['server']} | {r['signal']} | {r['held_at_kill']} | {codes} | {gave_up} "
            f"| {r['dropped_again']} "
            f"| {fmt_ms(r['new_forked_ms'])} | {fmt_ms(r['first_back_ms'])} "
            f"| {fmt_ms(r['back_50_ms'])} | {fmt_ms(r['back_99_ms'])} "
            f"| {fmt_ms(r['back_100_ms'])} | {failed} "
            f"| {r['published']} ({r['away_pairs']}) | {missed} | {r['duplicated']} "
            f"| {r.get('badge_wrong', '–')} |"
        )
    ratios = data.get("ratios") or []
    if ratios:
        lines += ["", "| signal | Tocsin / peer | 50 % back | 99 % back |"]
        lines += ["|---|---|---:|---:|"]
        for r in ratios:
            lines.append(
                f"| {r['signal']} | {r['peer']} | {fmt_ratio(r['ratio_50'])} "
                f"| {fmt_ratio(r['ratio_99'])} |"
            )
    failures = [
        f"{r['server']} {r['signal']}: {'; '.join(r['failures'])}"
        for r in data["runs"]
        if r["failures"]
    ]
    if failures:
        lines += ["", "**Failures:** " + " / ".join(failures)]
    lines += [
        "",
        "Times in ms from the signal. *Close codes*: the first close each socket saw after "
        "it. *Gave up*: sockets closed with a code the htmx ws extension does not retry "
        "(the page stays offline). *Dropped again*: sockets that got a snapshot after the "
        "signal and then lost that connection too (a dying worker had accepted them). "
        "*New process after*: until gunicorn's master had forked the next worker (peer A: "
        "until the bench had started it again on the same port, once the old one was gone). "
        "*First back*: the first snapshot after the signal; *50/99/100 % back*: when that "
        "share of the sockets had the snapshot that began the connection they still held at "
        "the end. *Failed handshakes*: attempts after the signal that got no snapshot.",
    ]
    if data["settings"].get("notes"):
        data = {**data, "notes": data["settings"]["notes"] + data.get("notes", [])}
    if data.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in data["notes"]]
    lines += ["", "## Machine", "", machine_markdown(data["machine"]), ""]
    return "\n".join(lines)


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def ratios(runs: list[dict]) -> list[dict]:
    """Tocsin's time to 50 % and 99 % back over each peer's, per signal."""
    out = []
    for sig in dict.fromkeys(r["signal"] for r in runs):
        tocsin = next((r for r in runs if r["server"] == "tocsin" and r["signal"] == sig), None)
        for peer in (r for r in runs if r["server"] != "tocsin" and r["signal"] == sig):
            if tocsin is None:
                continue

            def ratio(key, a=tocsin, b=peer):
                return a[key] / b[key] if a[key] is not None and b[key] else None

            out.append(
                {
                    "signal": sig,
                    "peer": peer["server"],
                    "ratio_50": ratio("back_50_ms"),
                    "ratio_99": ratio("back_99_ms"),
                }
            )
    return out


def _peer_b_available() -> bool:
    try:
        from bench.peers.socketio_peer import PeerB  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    d = Settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=d.sockets)
    parser.add_argument("--users", type=int, default=d.users)
    parser.add_argument("--rate", type=float, default=d.rate, help="publishes per second")
    parser.add_argument("--publishers", type=int, default=d.publishers, help="publishing threads")
    parser.add_argument("--seed", type=int, default=d.seed, help="notifications per user at start")
    parser.add_argument("--before", type=float, default=d.before_s, help="seconds before the kill")
    parser.add_argument("--after", type=float, default=d.after_s, help="seconds after all are back")
    parser.add_argument("--back-timeout", type=float, default=d.back_timeout_s)
    parser.add_argument("--signals", default="KILL,TERM", help="KILL and/or TERM")
    parser.add_argument("--peers", default="a,b", help="'a,b', 'a', or '' for Tocsin alone")
    parser.add_argument("--backoff", choices=("tocsin", "htmx"), default=d.backoff)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--name", default="reconnect", help="results file name")
    parser.add_argument("--keep-log", type=Path, help="copy gunicorn's log here")
    parser.add_argument("--note", action="append", default=[], help="a note for the results")
    args = parser.parse_args(argv)
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
        backoff=args.backoff,
        pinned=not args.no_pin and len(os.sched_getaffinity(0)) >= 2,
    )

    from app import create_app
    from bench.serving import Gunicorn
    from tests.support import server_env
    from tocsin import state
    from tocsin.extensions import db

    raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-reconnect-"))
    redis_proc = server = app = None
    runs: list[dict] = []
    try:
        redis_proc, redis_url = start_redis(workdir)
        db_url = datasets.fresh_schema_url(PG_SCHEMA)
        extra = {
            "TOCSIN_REDIS_URL": redis_url,
            "TOCSIN_REDIS_CHANNEL_PREFIX": TOCSIN_PREFIX,
            "TOCSIN_WORKER_CONNECTIONS": str(st.sockets + 200),
        }
        env = server_env(workdir, db_url, **extra)
        os.environ.update({k: env[k] for k in ("TOCSIN_INSTANCE_PATH", *extra)})
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": env["TOCSIN_SECRET_KEY"]}
        )
        st.page_size = app.config["TOCSIN_PAGE_SIZE"]
        keys = user_keys(st.users)
        user_ids = create_users(app, keys)
        seed_users(app, user_ids, st.seed)
        server = Gunicorn("gevent", env, workdir / "gunicorn.log")
        print("== logging in", flush=True)
        cookies = login_all(server.url, keys)
        runs += tocsin_rounds(
            server.url, server.proc.pid, app, cookies, user_ids, signals, st, workdir
        )
        if "a" in args.peers.split(","):
            runs += peer_a_rounds(redis_url, signals, st, workdir)
        if "b" in args.peers.split(","):
            if _peer_b_available():
                runs += peer_b_rounds(redis_url, signals, st, workdir)
            else:
                print("== peer B: bench.peers.socketio_peer.PeerB not available, skipped")
    finally:
        if server is not None:
            server.stop()
            if args.keep_log:
                shutil.copy(server.log, args.keep_log)
        if app is not None:
            state.of(app).broker.stop()
            with app.app_context():
                db.engine.dispose()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        datasets.drop_schema(PG_SCHEMA)
        shutil.rmtree(workdir, ignore_errors=True)
    data = {
        "settings": asdict(st)
        | {"signals": signals, "database": "PostgreSQL", "broker": "Redis", "notes": args.note},
        "runs": runs,
        "ratios": ratios(runs),
        "machine": stack_info(load_at_start),
    }
    emit(args.name, data, markdown(data), write=not args.no_write)
    if any(r["failures"] for r in runs):
        sys.exit("some runs failed: see the table")


if __name__ == "__main__":
    main()
