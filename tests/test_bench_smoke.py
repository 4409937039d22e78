"""Smoke test of the latency harness (bench.latency): tiny sizes, correctness only.

Every notification must reach its user's socket exactly once and no other socket;
the figures themselves are never asserted (timings live in bench/results/).
"""

import pytest

from app import create_app
from bench import latency
from tests.support import GunicornServer, server_env
from tocsin import state, users
from tocsin.extensions import db

CLIENTS = 6  # the 5 probe users plus one crowd socket, which must receive nothing
PUBLISHES = 10


MODES = ("targeted", "broadcast")


def assert_exactly_once(results: dict) -> None:
    """Targeted: each publish reaches its one probe socket; broadcast: every socket."""
    assert set(results) == set(MODES)
    for mode, result in results.items():
        want = PUBLISHES if mode == "targeted" else PUBLISHES * CLIENTS
        assert result["mode"] == mode
        assert result["held"] == CLIENTS
        assert result["handshake_failed"] == 0
        assert result["warmup_lost"] == 0
        assert result["expected"] == want
        assert result["received"] == want
        assert result["lost"] == 0
        assert result["duplicated"] == 0
        assert result["misdelivered"] == 0
        assert result["unexpected_ids"] == 0
        assert result["unstamped"] == 0
        assert result["latency_ms"]["n"] == want


def test_peer_a_delivers_every_notification_exactly_once(redis_url, channel_prefix, tmp_path):
    result = latency.run_peer_a(
        redis_url, channel_prefix, CLIENTS, PUBLISHES, tmp_path, spacing=(0, 0), modes=MODES
    )
    assert_exactly_once(result)
    assert result["targeted"]["message_length_median"] == 2600


@pytest.mark.postgres
def test_tocsin_delivers_every_notification_exactly_once(
    redis_url, channel_prefix, tmp_path, monkeypatch
):
    from tests.conftest import postgres_url

    db_url = postgres_url()
    settings = {"TOCSIN_REDIS_URL": redis_url, "TOCSIN_REDIS_CHANNEL_PREFIX": channel_prefix}
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret", **settings}
    )
    keys = latency.user_keys(users=1)
    with app.app_context():
        db.drop_all()
        db.create_all()
        user_ids = {k: users.create(db.session, latency.username(k), "tocsin").id for k in keys}
        db.session.remove()
    server = GunicornServer(server_env(tmp_path, db_url, **settings)).start()
    try:
        cookies = latency.login_all(server.url, keys)
        result = latency.run_tocsin(
            server.url,
            app,
            user_ids,
            cookies,
            CLIENTS,
            PUBLISHES,
            tmp_path,
            spacing=(0, 0),
            modes=MODES,
        )
    finally:
        server.stop()
        state.of(app).broker.stop()
        with app.app_context():
            db.engine.dispose()
    assert_exactly_once(result)
    assert server.returncode == 0


# Peer B: Flask-SocketIO with its Redis message queue, one gunicorn gevent worker.


def test_peer_b_delivers_every_notification_exactly_once(redis_url, channel_prefix, tmp_path):
    from bench.peer_b_runs import run_peer_b

    result = run_peer_b(
        redis_url, channel_prefix, CLIENTS, PUBLISHES, tmp_path, spacing=(0, 0), modes=MODES
    )
    assert_exactly_once(result)
    assert result["targeted"]["message_length_median"] == 2600


def test_peer_b_refuses_a_socket_without_user_and_broadcasts_to_all(redis_url, channel_prefix):
    import contextlib
    import json

    from websockets.sync.client import connect

    from bench.latency_client import LI_RE
    from bench.peers.socketio_peer import PeerB, peer_b_publisher

    def socket(cookie: str | None):
        headers = {"Cookie": cookie} if cookie else None
        ws = sockets.enter_context(
            connect(peer.ws_url, origin=peer.origin, additional_headers=headers, proxy=None)
        )
        assert ws.recv(timeout=10).startswith("0{")  # Engine.IO open
        ws.send("40")  # Socket.IO CONNECT to "/"
        return ws

    def events(ws, count: int) -> list:
        got = []
        while len(got) < count:
            packet = ws.recv(timeout=10)
            if packet.startswith("42"):
                got.append(json.loads(packet[2:]))
        return got

    peer = PeerB(redis_url, channel_prefix)
    publish = peer_b_publisher(redis_url, channel_prefix)
    try:
        with contextlib.ExitStack() as sockets:
            assert socket(None).recv(timeout=10).startswith("44")  # CONNECT_ERROR: no user
            one, two = socket("bench_user=1"), socket("bench_user=2")
            assert events(one, 1)[0][0] == events(two, 1)[0][0] == "snapshot"
            everyone = publish.broadcast(12345678901)
            only_two = publish(2, 12345678902)
            for ws, want in ((one, [everyone]), (two, [everyone, only_two])):
                pushes = events(ws, len(want))
                assert [event for event, _ in pushes] == ["push"] * len(want)
                assert [LI_RE.findall(html) for _, html in pushes] == [[str(n)] for n in want]
    finally:
        publish.close()
        peer.stop()
    assert peer.proc.returncode == 0
