"""A client flooding its socket with compressed frames cannot fill a gevent worker's memory.

Issue 9, item 1: 16 KiB text frames (a few dozen bytes each once deflated) sent in a loop
for 4 s grew one gevent worker from 86 MB to 695 MB; the server kept every message.
"""

import threading
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support import GunicornServer, HttpSession, item_ids, recv_until, server_env

POLICY_VIOLATION = 1008
#: The largest message the server takes (TOCSIN_WS_MAX_MESSAGE_SIZE's default); deflated,
#: a frame of it is about 40 bytes on the wire.
MESSAGE = "x" * 16 * 1024
FLOOD_SECONDS = 4.0
#: Growth of the worker's resident memory allowed over a flood. Measured with the guard:
#: under 2 MB; without it, several hundred MB in the same 4 s.
RSS_BOUND_MB = 40


@pytest.fixture
def start_gunicorn(publisher, database_url, tmp_path):
    servers = []

    def start(**settings: str) -> GunicornServer:
        env = server_env(tmp_path, database_url, **settings)
        servers.append(GunicornServer(env, worker_class="gevent").start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def rss_mb(pid: int) -> float:
    """Return the resident memory of process `pid` in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


class Sampler(threading.Thread):
    """Sample a process's resident memory every 20 ms until stopped; keep the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.done = pid, threading.Event()
        self.base = self.peak = rss_mb(pid)

    def run(self) -> None:
        while not self.done.wait(0.02):  # a sampling period, not a wait for a condition
            self.peak = max(self.peak, rss_mb(self.pid))

    def stop(self) -> float:
        self.done.set()
        self.join()
        return max(self.peak, rss_mb(self.pid))


def flood(ws, seconds: float) -> tuple[int, object]:
    """Send MESSAGE as fast as possible for `seconds` or until closed; return (sent, close)."""
    sent, deadline = 0, time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ws.send(MESSAGE)
            sent += 1
    except ConnectionClosed as closed:
        return sent, closed.rcvd
    return sent, None


def push_reaches(ws, send, name: str, title: str) -> None:
    nid = send(name, title=title)
    recv_until(ws, lambda m: nid in item_ids(m[-1]), timeout=10)


def test_a_flooder_gets_1008_and_the_worker_keeps_its_memory(start_gunicorn, send):
    server = start_gunicorn()
    worker = server.worker_pids()[0]
    alice, bob = HttpSession(server.url).login("alice"), HttpSession(server.url).login("bob")
    with alice.websocket(compression="deflate") as flooder, bob.websocket() as other:
        flooder.recv(timeout=5), other.recv(timeout=5)
        push_reaches(other, send, "bob", "warm-up")
        sampler = Sampler(worker)
        sampler.start()
        sent, close = flood(flooder, FLOOD_SECONDS)
        push_reaches(other, send, "bob", "after the flood")
        peak = sampler.stop()
    print(f"flood: {sent} frames; worker RSS {sampler.base:.0f} MB before, {peak:.0f} MB peak")
    assert close is not None, f"the flooder was never closed ({sent} frames in 4 s)"
    assert (close.code, close.reason) == (POLICY_VIOLATION, "Too many messages")
    assert peak - sampler.base < RSS_BOUND_MB


def test_messages_are_dropped_as_they_arrive_even_without_a_rate_limit(start_gunicorn, send):
    """With the frame rate limit off, what a client sends still never piles up."""
    server = start_gunicorn(TOCSIN_WS_MAX_INBOUND_RATE="0")
    worker = server.worker_pids()[0]
    alice, bob = HttpSession(server.url).login("alice"), HttpSession(server.url).login("bob")
    with alice.websocket(compression="deflate") as flooder, bob.websocket() as other:
        flooder.recv(timeout=5), other.recv(timeout=5)
        push_reaches(other, send, "bob", "warm-up")
        sampler = Sampler(worker)
        sampler.start()
        result: list = []
        flooding = threading.Thread(
            target=lambda: result.append(flood(flooder, FLOOD_SECONDS)), daemon=True
        )
        flooding.start()
        pushed = 0
        while flooding.is_alive():  # other users keep receiving meanwhile
            push_reaches(other, send, "bob", f"during the flood {pushed}")
            pushed += 1
        flooding.join()
        peak = sampler.stop()
        push_reaches(flooder, send, "alice", "the flooder's socket still works")
    (sent, close), base = result[0], sampler.base
    print(f"no rate limit: {sent} frames, {pushed} pushes to bob meanwhile; worker RSS")
    print(f"{base:.0f} MB before, {peak:.0f} MB peak")
    assert close is None and pushed >= 1
    assert peak - sampler.base < RSS_BOUND_MB
