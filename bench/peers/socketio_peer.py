"""Peer B: what a Flask developer would pick instead. Flask-SocketIO with its Redis message queue.

Served the way Tocsin is, and the way Flask-SocketIO's deployment docs give for gevent:
ONE gunicorn gevent worker (`gunicorn -k gevent -w 1 --worker-connections N
'bench.peers.socketio_peer:create_app()'`). Flask-SocketIO runs in ``async_mode="gevent"``;
without gevent-websocket installed, python-engineio serves WebSocket through
simple-websocket, the library Tocsin's flask-sock uses too, so both sides speak the same
WebSocket code (permessage-deflate included) and differ only in what runs on top.

A socket connects with the Socket.IO protocol (Engine.IO v4, the websocket transport
only, as a browser client given ``transports: ["websocket"]``), names its user in a
``bench_user=<id>`` Cookie header (or ``?user=<id>``), like peer A, joins the room
``user:<id>`` and gets a small ``snapshot`` event. A socket without a user is refused
(Socket.IO ``CONNECT_ERROR``).

Publishing is Flask-SocketIO's "external process" (its docs: emitting from a process that
is not the server): ``SocketIO(message_queue=redis_url, channel=...)`` then
``.emit("push", html, to="user:<id>")``, or without ``to`` for everyone. The server's one
Redis subscription (``SUBSCRIBE <prefix>:socketio``) receives each emit and sends it to the
room's sockets. The html is the same bytes peer A sends: a push Tocsin really sent, with
``TEMPLATE_ID`` and ``TEMPLATE_STAMP`` filled in, or ``raw_ws.fragment()`` without one.

The environment gives the server its settings: BENCH_PEER_B_REDIS_URL and
BENCH_PEER_B_CHANNEL. `PeerB` starts and stops it; `peer_b_publisher` publishes to it.
"""

import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = '<div id="notification-snapshot" data-peer="socketio"></div>'
#: gunicorn's --worker-connections: the most sockets the one worker serves at once.
WORKER_CONNECTIONS = 10_000
#: As Tocsin's gunicorn.conf.py: a stopping worker gets this long before it is killed.
GRACEFUL_TIMEOUT_S = 10
PATH = "/socket.io/?EIO=4&transport=websocket"


def channel_for(prefix: str) -> str:
    """The Redis channel of Flask-SocketIO's message queue, one per prefix."""
    return f"{prefix}:socketio"


def create_app():
    """The server (gunicorn's app factory). Imported in the worker, after gevent patched it."""
    from flask import Flask, request
    from flask_socketio import ConnectionRefusedError, SocketIO, emit, join_room

    app = Flask(__name__)
    socketio = SocketIO(
        app,
        message_queue=os.environ["BENCH_PEER_B_REDIS_URL"],
        channel=os.environ["BENCH_PEER_B_CHANNEL"],
        async_mode="gevent",
    )

    @app.get("/healthz")
    def healthz():
        return "ok"

    @socketio.on("connect")
    def connect(auth=None):
        value = request.args.get("user") or request.cookies.get("bench_user", "")
        if not value.isdigit():
            raise ConnectionRefusedError("no user")
        join_room(f"user:{int(value)}")
        emit("snapshot", SNAPSHOT)

    return app


class PeerB:
    """Peer B in its own gunicorn (one gevent worker), on a free port."""

    def __init__(
        self,
        redis_url: str,
        prefix: str,
        template: Path | None = None,
        worker_connections: int = WORKER_CONNECTIONS,
        log: Path | None = None,
    ) -> None:
        from tests.support import free_port

        #: The template the publisher fills in (the server only forwards what it is given).
        self.template = template
        self.channel = channel_for(prefix)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}{PATH}"
        self.origin = self.url
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
            "bench.peers.socketio_peer:create_app()",
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
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        #: The gunicorn worker: the process that serves the sockets (pin and measure it).
        self.pid = int(children.split()[0])

    def _wait_ready(self, redis_url: str) -> None:
        """Until the worker answers, then open (and close) one socket: Flask-SocketIO
        subscribes to its channel on the first connection; wait for that subscription."""
        import redis
        from websockets.sync.client import connect

        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"peer B did not start (exit {self.proc.poll()})")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.1)
        with connect(self.ws_url, origin=self.origin, proxy=None, open_timeout=10) as ws:
            ws.recv(timeout=10)  # Engine.IO's open packet: the server has seen a connection
        client = redis.Redis.from_url(redis_url)
        try:
            while dict(client.pubsub_numsub(self.channel)).get(self.channel.encode(), 0) < 1:
                if time.monotonic() > deadline:
                    raise RuntimeError("peer B never subscribed to its Redis channel")
                time.sleep(0.02)
        finally:
            client.close()

    def log_excerpt(self, lines: int = 2) -> str:
        if self.log is None:
            return "(no log kept)"
        from bench.serving import log_excerpt

        return log_excerpt(self.log, lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=GRACEFUL_TIMEOUT_S + 20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._cwd.cleanup()


def peer_b_publisher(redis_url: str, prefix: str, template: str | None = None):
    """Publish as Flask-SocketIO's external process: an emit through the message queue.

    Returns ``publish(user_id, stamp_ns) -> id`` (to the room ``user:<id>``), with
    ``.broadcast(stamp_ns) -> id`` (one emit to every socket) and ``.close()``.
    """
    from flask_socketio import SocketIO

    from bench.peers.raw_ws import DEFAULT_SIZE, TEMPLATE_ID, TEMPLATE_STAMP, fragment

    # Write-only (no app): the emit is one PUBLISH; threading, as this process is not gevent's.
    socketio = SocketIO(
        message_queue=redis_url, channel=channel_for(prefix), async_mode="threading"
    )
    counter = itertools.count(1)

    def html(nid: int, stamp: int) -> str:
        if template is None:
            return fragment(nid, str(stamp), DEFAULT_SIZE)
        return template.replace(TEMPLATE_ID, str(nid)).replace(TEMPLATE_STAMP, str(stamp))

    def publish(user_id: int, stamp: int) -> int:
        nid = next(counter)
        socketio.emit("push", html(nid, stamp), to=f"user:{user_id}")
        return nid

    def broadcast(stamp: int) -> int:
        nid = next(counter)
        socketio.emit("push", html(nid, stamp))
        return nid

    def close() -> None:
        manager = socketio.server.manager
        if getattr(manager, "redis", None) is not None:
            manager.redis.close()

    publish.broadcast = broadcast
    publish.close = close
    return publish
