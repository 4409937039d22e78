"""A reconnect storm: a server killed under held sockets while notifications keep coming.

The targets are what gets killed: a gunicorn master's one worker (`GunicornTarget`:
the master forks the next) or a peer A process (`RestartedPeerA`: started again on the
same port at once, as a supervisor would). `Publisher` publishes at a steady rate the
whole time; `storm` drives a bench.clients.storm process through it.
"""

import os
import random
import threading
import time

from .machine import cores, cpu_seconds, pin
from .peers import PeerA
from .servers import worker_pids
from .services import wait_http


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
            if t.is_alive():
                t.join()


class GunicornTarget:
    """A gunicorn master's one worker: killed with a signal, replaced by the master."""

    def __init__(self, name: str, server, pinned: bool, protocol: str = "ws") -> None:
        self.name, self.protocol, self.pinned = name, protocol, pinned
        self.url, self.ws_url, self.origin = server.url, server.ws_url, server.origin
        self.master = server.proc.pid
        if pinned:  # the master's future workers inherit its core
            pin(self.master, cores()[0])
            for pid in worker_pids(self.master):
                pin(pid, cores()[0])

    def kill(self, sig: int) -> dict:
        """Signal the worker; watch (on a thread) when it is gone and a new one is forked."""
        old = worker_pids(self.master)[0]
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

    def after_storm(self) -> None:
        self._watcher.join(timeout=120)
        wait_http(self.url + "/healthz", timeout=60)


class RestartedPeerA(PeerA):
    """Peer A, started again on the same port once killed, so clients find it where they look."""

    def kill(self, sig: int) -> dict:
        seen = {"old_pid": self.proc.pid, "at": time.monotonic()}
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)
        seen["old_gone_at"] = time.monotonic()
        self.start()
        seen["new_pid"], seen["new_forked_at"] = self.proc.pid, time.monotonic()
        return seen

    def after_storm(self) -> None:
        pass


def storm(target, client, publisher: Publisher, sig: int, st) -> dict:
    """Open the sockets, publish, kill, wait until the sockets are back; return the raw run.

    `st` gives sockets, pinned, before_s, back_timeout_s, after_s and settle_s.
    """
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
    target.after_storm()
    time.sleep(st.after_s)
    publisher.stop()
    latest: dict[str, int] = {}
    for nid, key, _, _ in publisher.records:
        latest[key] = max(latest.get(key, 0), nid)
    settled = client.call("wait_for", latest=latest, timeout=30, settle=st.settle_s)
    return {
        "opened": opened,
        "kill": seen,
        "back": back,
        "settled": settled,
        "storm_client_cpu_percent": client_cpu,
        "tabs": client.call("report")["tabs"],
        "records": publisher.records,
        "publish_errors": publisher.errors,
    }
