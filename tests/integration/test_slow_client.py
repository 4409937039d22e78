"""A client that stops reading is closed with 1013 and never stalls the others."""

import socket
import urllib.parse

import pytest
import sqlalchemy as sa
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from tests.support import badge_count
from tocsin import broker
from tocsin.extensions import db
from tocsin.models import Notification, utcnow
from tocsin.notifications import service

QUEUE_SIZE = 4


@pytest.fixture
def server_settings():
    return {"TOCSIN_CONNECTION_QUEUE_SIZE": str(QUEUE_SIZE)}


class StuckClient:
    """A WebSocket client that reads only when told to, over a small fixed receive buffer."""

    def __init__(self, session) -> None:
        url = session.base.replace("http://", "ws://") + "/notifications/ws"
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        self.sock.connect((parts.hostname, parts.port))
        self.protocol = ClientProtocol(parse_uri(url), origin=session.base, max_size=None)
        request = self.protocol.connect()
        request.headers["Cookie"] = session.cookie_header
        self.protocol.send_request(request)
        self.sock.sendall(b"".join(self.protocol.data_to_send()))

    def read_all(self, timeout: float = 30.0) -> list:
        """Read until the server closes; return the frames and the handshake response."""
        self.sock.settimeout(timeout)
        events = []
        while True:
            data = self.sock.recv(1 << 20)
            if not data:
                self.protocol.receive_eof()
            else:
                self.protocol.receive_data(data)
            events += self.protocol.events_received()
            if not data or any(getattr(e, "opcode", None) is Opcode.CLOSE for e in events):
                self.sock.close()
                return events


def test_stuck_client_gets_1013_and_the_other_keeps_up(publisher, login):
    with publisher.app_context():
        # Big rows make every "read" push about a megabyte, so socket buffers fill fast.
        db.session.execute(
            sa.insert(Notification),
            [
                {
                    "user_id": 1,
                    "type": "comment",
                    "title": f"n{i}",
                    "body": "x" * 2000,
                    "priority": "normal",
                    "created_at": utcnow(),
                }
                for i in range(300)
            ],
        )
        db.session.commit()
        service.recount_unread(db.session, 1)
        ids = list(db.session.scalars(sa.select(Notification.id)))
    alice = login("alice")
    stuck = StuckClient(alice)
    with alice.websocket(max_size=None) as reader:
        reader.recv(timeout=5)
        events = 30
        for _ in range(events):  # `stuck` reads nothing meanwhile
            with publisher.app_context():
                broker.publish(1, {"kind": "read", "ids": ids})
            assert badge_count(reader.recv(timeout=30)) == 300
    received = stuck.read_all()
    assert isinstance(received[0], Response) and received[0].status_code == 101
    frames = [e for e in received[1:] if e.opcode is Opcode.TEXT]
    assert len(frames) < events  # it was cut off, not served everything
    close = received[-1]
    assert close.opcode is Opcode.CLOSE and int.from_bytes(close.data[:2], "big") == 1013
