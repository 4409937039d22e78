"""Peer B: what a Flask developer would pick instead. Flask-SocketIO with its Redis message queue.

Served the way Tocsin is, and the way Flask-SocketIO's deployment docs give for gevent:
ONE gunicorn gevent worker (`gunicorn -k gevent -w 1 --worker-connections N
'bench.peers.socketio_app:create_app()'`). Flask-SocketIO runs in ``async_mode="gevent"``;
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
BENCH_PEER_B_CHANNEL. `bench.harness.peers.PeerB` starts and stops it;
`bench.harness.peers.peer_b_publisher` publishes to it.
"""

import os

from flask import Flask, request
from flask_socketio import ConnectionRefusedError, SocketIO, emit, join_room

SNAPSHOT = '<div id="notification-snapshot" data-peer="socketio"></div>'


def create_app():
    """Return the server (gunicorn's app factory; the worker imports it once gevent patched)."""
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
