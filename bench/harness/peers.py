"""The peers, started and published to: A (bench.peers.raw_ws) and B (Flask-SocketIO).

Each publisher is `publish(user_id, stamp_ns) -> id` with `.broadcast(stamp_ns)` and
`.close()`. Peer A's broadcast is one PUBLISH per user in one pipeline (what Tocsin's
broker sends) and returns [id, user key] pairs; peer B's is one emit to every socket.
"""

import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
from flask_socketio import SocketIO
from websockets.sync.client import connect

from .paths import ROOT
from .push import fill
from .servers import log_excerpt, worker_pids
from .services import free_port, stop_process, wait_http

#: gunicorn's --worker-connections for peer B: the most sockets its one worker serves.
WORKER_CONNECTIONS = 10_000
#: As tocsin.gunicorn: a stopping worker gets this long before it is killed.
GRACEFUL_TIMEOUT_S = 10
SOCKETIO_PATH = "/socket.io/?EIO=4&transport=websocket"


def bench_cookies(user_ids: dict[str, int]) -> dict[str, str]:
    """A peer's socket names its user in a `bench_user` cookie."""
    return {k: f"bench_user={uid}" for k, uid in user_ids.items()}


class PeerA:
    """bench.peers.raw_ws in its own process (on `port`, or a free one; on `core`)."""

    name, protocol = "peer_a", "ws"

    def __init__(
        self,
        redis_url: str,
        prefix: str,
        size: int | None = None,
        template: Path | None = None,
        port: int = 0,
        core: int | None = None,
    ) -> None:
        self.args = [sys.executable, "-m", "bench.peers.raw_ws", "--redis-url", redis_url]
        self.args += ["--prefix", prefix, "--port", str(port)]
        self.args += ["--size", str(size)] if size else []
        self.args += ["--template", str(template)] if template else []
        self.core = core
        self.proc = None
        self.log = None
        self.start()

    def start(self) -> None:
        core = self.core
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, {core})) if core is not None else None,  # noqa: PLW1509
        )
        line = self.proc.stdout.readline()  # "ready <port>", or EOF if it died
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"peer A did not start: {line!r}")
        self.port = int(line.split()[1])
        self.args[self.args.index("--port") + 1] = str(self.port)  # a restart comes back here
        self.pid = self.worker_pid = self.proc.pid
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.origin = self.url = f"http://127.0.0.1:{self.port}"

    def log_excerpt(self, lines: int = 2) -> str:
        return "(peer A keeps no log)"

    def stop(self) -> None:
        stop_process(self.proc)


class PeerB:
    """Peer B (bench.peers.socketio_app) in its own gunicorn, one gevent worker, free port."""

    name, protocol = "peer_b", "socketio"

    def __init__(
        self,
        redis_url: str,
        prefix: str,
        template: Path | None = None,
        worker_connections: int = WORKER_CONNECTIONS,
        log: Path | None = None,
    ) -> None:
        #: The template the publisher fills in (the server only forwards what it is given).
        self.template = template
        self.channel = f"{prefix}:socketio"
        self.port = free_port()
        self.url = self.origin = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}{SOCKETIO_PATH}"
        env = {
            **os.environ,
            "BENCH_PEER_B_REDIS_URL": redis_url,
            "BENCH_PEER_B_CHANNEL": self.channel,
        }
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "-k",
            "gevent",
            "-w",
            "1",
            "--worker-connections",
            str(worker_connections),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            str(GRACEFUL_TIMEOUT_S),
            "--log-level",
            "info" if log else "warning",
            "--chdir",
            str(ROOT),
            "bench.peers.socketio_app:create_app()",
        ]
        # Not the repository root: gunicorn would read a ./gunicorn.conf.py found there.
        self._cwd = tempfile.TemporaryDirectory(prefix="tocsin-peer-b-")
        self.log = log
        out = open(log, "ab") if log else None  # noqa: SIM115 - closed once started
        try:
            self.proc = subprocess.Popen(
                args, cwd=self._cwd.name, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        finally:
            if out:
                out.close()
        try:
            self._wait_ready(redis_url)
        except BaseException:
            self.stop()
            raise
        #: The gunicorn worker: the process that serves the sockets (pin and measure it).
        self.pid = self.worker_pid = worker_pids(self.proc.pid)[0]

    def _wait_ready(self, redis_url: str) -> None:
        """Until the worker answers, then open (and close) one socket: Flask-SocketIO
        subscribes to its channel on the first connection; wait for that subscription."""
        wait_http(self.url + "/healthz", proc=self.proc)
        with connect(self.ws_url, origin=self.origin, proxy=None, open_timeout=10) as ws:
            ws.recv(timeout=10)  # Engine.IO's open packet: the server has seen a connection
        client = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 30
        try:
            while dict(client.pubsub_numsub(self.channel)).get(self.channel.encode(), 0) < 1:
                if time.monotonic() > deadline:
                    raise RuntimeError("peer B never subscribed to its Redis channel")
                time.sleep(0.02)
        finally:
            client.close()

    def refuses_anonymous(self) -> bool:
        """Tell whether a socket without a user gets Socket.IO's CONNECT_ERROR."""
        with connect(self.ws_url, origin=self.origin, proxy=None, open_timeout=10) as ws:
            if not ws.recv(timeout=10).startswith("0{"):  # Engine.IO open
                return False
            ws.send("40")  # Socket.IO CONNECT to "/"
            return ws.recv(timeout=10).startswith("44")

    def log_excerpt(self, lines: int = 2) -> str:
        return log_excerpt(self.log, lines)

    def stop(self) -> None:
        stop_process(
            self.proc, GRACEFUL_TIMEOUT_S + 20, lambda: self.proc.send_signal(signal.SIGTERM)
        )
        self._cwd.cleanup()


def peer_a_message(nid: int, stamp: int) -> str:
    """Tocsin's Redis broker event for a created notification, the stamp in it."""
    event = {"kind": "created", "ids": [nid], "t": stamp}
    return json.dumps({"origin": "bench", "event": event})


def peer_a_publisher(redis_url: str, prefix: str, user_ids: dict[str, int] | None = None):
    """Publish as Tocsin's Redis broker would, with the stamp in the event (thread-safe)."""
    client = redis.Redis.from_url(redis_url)
    lock = threading.Lock()
    counter = itertools.count(1)
    message = peer_a_message

    def publish(user_id: int, stamp: int) -> int:
        with lock:
            nid = next(counter)
        client.publish(f"{prefix}:user:{user_id}", message(nid, stamp))
        return nid

    def broadcast(stamp: int, to: dict[str, int] | None = None) -> list[list]:
        pairs = []
        with client.pipeline(transaction=False) as pipe:
            for key, uid in (to or user_ids or {}).items():
                with lock:
                    nid = next(counter)
                pipe.publish(f"{prefix}:user:{uid}", message(nid, stamp))
                pairs.append([nid, key])
            pipe.execute()
        return pairs

    publish.broadcast = broadcast
    publish.close = client.close
    return publish


def peer_b_publisher(
    redis_url: str, prefix: str, template: str | None = None, user_ids: dict[str, int] | None = None
):
    """Publish as Flask-SocketIO's external process: an emit through the message queue.

    `.broadcast(stamp)` is one emit to every socket: one id, expected by every user of
    `user_ids` ([id, key] pairs).
    """
    # Write-only (no app): the emit is one PUBLISH; threading, as this process is not gevent's.
    socketio = SocketIO(
        message_queue=redis_url, channel=f"{prefix}:socketio", async_mode="threading"
    )
    counter = itertools.count(1)

    def publish(user_id: int, stamp: int) -> int:
        nid = next(counter)
        socketio.emit("push", fill(template, nid, str(stamp)), to=f"user:{user_id}")
        return nid

    def broadcast(stamp: int) -> list[list]:
        nid = next(counter)
        socketio.emit("push", fill(template, nid, str(stamp)))
        return [[nid, key] for key in user_ids or {}]

    def close() -> None:
        manager = socketio.server.manager
        if getattr(manager, "redis", None) is not None:
            manager.redis.close()

    publish.broadcast = broadcast
    publish.close = close
    return publish
