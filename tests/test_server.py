"""The inbound frame budget of Tocsin's WebSocket server, and how a socket ends."""

import socket

from tocsin.live.server import FrameBudget, Server, finished

#: A client's upgrade request as it reaches the handler in the WSGI environ.
UPGRADE = {
    "HTTP_HOST": "localhost",
    "HTTP_UPGRADE": "websocket",
    "HTTP_CONNECTION": "Upgrade",
    "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
    "HTTP_SEC_WEBSOCKET_VERSION": "13",
}


def test_the_budget_allows_a_burst_of_rate_frames_then_refuses():
    budget = FrameBudget(3)
    assert [budget.spend() for _ in range(4)] == [True, True, True, False]


def test_the_budget_refills_at_the_rate():
    budget = FrameBudget(10)
    assert all(budget.spend() for _ in range(10)) and not budget.spend()
    budget.stamp -= 0.5  # half a second later
    assert [budget.spend() for _ in range(6)] == [True] * 5 + [False]


def test_a_rate_of_zero_means_no_limit():
    budget = FrameBudget(0)
    assert all(budget.spend() for _ in range(10_000))


def test_a_finished_socket_ends_the_tcp_connection():
    # RFC 6455 7.1.1: the client waits for the server to close TCP. Under Werkzeug, which
    # after the handler reads the connection to its end, a client's close reply read
    # there left both sides waiting: an evicted tab got its close frame but no end.
    ours, theirs = socket.socketpair()
    with theirs:
        srv = Server({**UPGRADE, "werkzeug.socket": ours})
        srv.close(1008, "Too many sockets for this user")
        finished(srv)
        theirs.settimeout(5)  # a guard against a hang, not a measure
        received = b""
        while chunk := theirs.recv(4096):
            received += chunk
    assert received.startswith(b"HTTP/1.1 101")
    assert received.endswith(b"\x88\x20\x03\xf0Too many sockets for this user")
