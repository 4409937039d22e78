"""Per-user socket cap and the close code of a missed pong (issue 9, items 1 and 10)."""

import socket
import urllib.parse

import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close, Opcode
from websockets.uri import parse_uri

from tests.support import item_ids, recv_until

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
TOO_MANY = "Too many sockets for this user"
CAP = 3


@pytest.fixture
def server_settings():
    return {"TOCSIN_MAX_SOCKETS_PER_USER": str(CAP), "TOCSIN_WS_PING_INTERVAL": "0.5"}


def close_of(ws):
    """Read until the server closes `ws`; return its messages and its close frame."""
    messages = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            messages.append(ws.recv(timeout=10))
    return messages, closed.value.rcvd


def test_a_socket_past_the_cap_closes_the_users_oldest_for_good(login, send):
    alice, bob = login("alice"), login("bob")
    with alice.websocket() as oldest, bob.websocket() as bobs:
        oldest.recv(timeout=5), bobs.recv(timeout=5)
        tabs = [alice.websocket() for _ in range(CAP)]
        newer = [tab.__enter__() for tab in tabs]
        try:
            for ws in newer:
                ws.recv(timeout=5)  # the snapshot: each was accepted
            messages, close = close_of(oldest)
            assert (close.code, close.reason) == (
                POLICY_VIOLATION,
                "Too many sockets for this user",
            )
            # Its bell loses ws-connect, so a proxy's 1006 could not make it come back.
            assert 'id="notification-bell"' in messages[-1] and "ws-connect" not in messages[-1]
            assert 'data-state="offline"' in messages[-1]
            nid = send("alice", title="to the open tabs")
            for ws in newer:
                recv_until(ws, lambda m: nid in item_ids(m[-1]))
            nid = send("bob", title="bob is not capped by alice")
            recv_until(bobs, lambda m: nid in item_ids(m[-1]))
        finally:
            for tab in tabs:
                tab.__exit__(None, None, None)


class SilentClient:
    """A WebSocket client that never reads, so it never answers the server's pings."""

    def __init__(self, session) -> None:
        url = session.base.replace("http://", "ws://") + "/notifications/ws"
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port))
        self.protocol = ClientProtocol(parse_uri(url), origin=session.base, max_size=None)
        request = self.protocol.connect()
        request.headers["Cookie"] = session.cookie_header
        self.protocol.send_request(request)
        self.sock.sendall(b"".join(self.protocol.data_to_send()))

    def close_frame(self, timeout: float = 30.0) -> Close:
        """Read (without answering) until the server's close frame; return it."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(1 << 16)
                assert data, "the server closed without a close frame"
                self.protocol.receive_data(data)
                for event in self.protocol.events_received():
                    if getattr(event, "opcode", None) is Opcode.CLOSE:
                        return Close.parse(event.data)
        finally:
            self.sock.close()


def test_a_missed_pong_closes_with_a_code_the_client_retries(login):
    client = SilentClient(login("alice"))
    close = client.close_frame()
    assert close.code == TRY_AGAIN_LATER  # simple-websocket's own 1008 is never retried
