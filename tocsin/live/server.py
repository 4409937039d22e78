"""Tocsin's WebSocket server: simple-websocket's, guarded against what a client sends.

Tocsin's page sends the server nothing but its tab's visibility, yet simple-websocket
keeps every message it receives in an unbounded list until the application reads it.
With permessage-deflate, 16 KiB text frames sent in a loop for 4 s grew a gevent worker
from 86 MB to 695 MB. This server reads continuously (simple-websocket's own thread),
counts each frame against a rate, drops data messages as they arrive and closes a client
over the rate with 1008. The one message it reads is the tab's visibility
("visibility:visible" or "visibility:hidden", a single small frame): it keeps the newest
in `visible` and wakes the socket's thread, which reports it (channels/presence.py). It
also closes a socket whose pong never came with 1013, which the htmx ws extension
retries, instead of simple-websocket's 1008, after which a tab never returns.
"""

import contextlib
import socket
import time
from collections.abc import Callable

import simple_websocket
from flask import Response
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    Request,
    TextMessage,
)
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import LocalProtocolError

from .connection import POLICY_VIOLATION, TRY_AGAIN_LATER
from .deflate import SmallDeflate

#: What simple-websocket says when it closes a socket for a missed pong.
PING_TIMEOUT = "Ping/Pong timeout"
#: After closing a flooding client, how long (s) and how much (bytes) to read and drop
#: before closing the TCP connection: closing with unread data sends a reset, which can
#: destroy the close frame (and its reason) before the client reads it.
LINGER_SECONDS = 1.0
LINGER_BYTES = 1 << 20
#: The page's visibility messages and what each says.
VISIBILITY = {"visibility:visible": True, "visibility:hidden": False}


class FrameBudget:
    """Allow `rate` frames a second on average, in bursts of up to `rate` (0: no limit)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = max(rate, 1.0)
        self.stamp = time.monotonic()

    def spend(self) -> bool:
        """Take one frame from the budget; return False if none is left."""
        if not self.rate:
            return True
        now = time.monotonic()
        self.tokens = min(max(self.rate, 1.0), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Server(simple_websocket.Server):
    """A server socket that drops the client's messages, within a frame rate and size."""

    # A server always has its socket, and keeps any close code, not only CloseReason's.
    sock: socket.socket
    close_reason: int  # type: ignore[assignment]  # the stubs narrow it to CloseReason

    def __init__(self, environ, *, max_inbound_rate: float = 0, **options) -> None:
        # Set before simple-websocket's __init__, which starts the reading thread.
        self.budget = FrameBudget(max_inbound_rate)
        #: Data messages received from the client and dropped.
        self.dropped = 0
        #: The tab's visibility as the page last said; None until it says.
        self.visible: bool | None = None
        #: Called on the reading thread when the page says its visibility and when the
        #: socket ends: the socket's thread reports either at once (not at its next wake).
        self.on_change: Callable[[], None] | None = None
        self._message_bytes = 0
        #: The close code this side sent, if it closed first (the metrics count it).
        self.sent_code: int | None = None
        super().__init__(environ, **options)

    def close(self, reason=None, message=None):
        """Close the socket; a missed pong closes with 1013 so that the client retries."""
        if reason == CloseReason.POLICY_VIOLATION and message == PING_TIMEOUT:
            reason = TRY_AGAIN_LATER
        if self.connected and self.sent_code is None:
            self.sent_code = int(reason or CloseReason.NORMAL_CLOSURE)
        super().close(reason=reason, message=message)

    def close_code(self) -> int:
        """The code the socket ended with: sent by this side, else by the client, else
        1006 (the connection dropped without a close frame)."""
        if self.sent_code is not None:
            return self.sent_code
        if self.close_reason != CloseReason.NO_STATUS_RCVD:
            return int(self.close_reason)
        return int(CloseReason.ABNORMAL_CLOSURE)

    def _handle_events(self) -> bool:
        out, keep_going = b"", True
        try:
            for event in self.ws.events():
                if isinstance(event, Request):
                    self.subprotocol = self.choose_subprotocol(event)
                    deflate = SmallDeflate(max_inflate=self.max_message_size)
                    out += self.ws.send(
                        AcceptConnection(subprotocol=self.subprotocol, extensions=[deflate])
                    )
                elif isinstance(event, CloseConnection):
                    out += self.ws.send(event.response())
                    self.close_reason, self.close_message = event.code, event.reason
                    self.connected = keep_going = False
                    self.event.set()
                    break
                elif not self._counted(event):
                    return self._refuse(out, POLICY_VIOLATION, "Too many messages")
                elif isinstance(event, Ping):
                    out += self.ws.send(event.response())
                elif isinstance(event, Pong):
                    self.pong_received = True
                elif isinstance(event, (TextMessage, BytesMessage)):
                    self._message_bytes += len(event.data)
                    if self.max_message_size and self._message_bytes > self.max_message_size:
                        return self._refuse(out, CloseReason.MESSAGE_TOO_BIG, "Message too big")
                    if event.message_finished:
                        self._read(event)
                        self._message_bytes = 0
        except LocalProtocolError:
            self.event.set()
            return False
        if out:
            self.sock.send(out)
        return keep_going

    def _read(self, event) -> None:
        """Keep a whole one-frame visibility message; drop anything else."""
        said = None
        if isinstance(event, TextMessage) and self._message_bytes == len(event.data):
            said = VISIBILITY.get(event.data)
        if said is None:
            self.dropped += 1
            return
        self.visible = said
        if self.on_change is not None:
            self.on_change()

    def _thread(self) -> None:
        try:
            super()._thread()  # type: ignore[misc]  # simple-websocket's reading loop
        finally:
            if self.on_change is not None:
                self.on_change()

    def _counted(self, event) -> bool:
        """Spend the budget on each whole frame; pieces of one frame count once."""
        if isinstance(event, (TextMessage, BytesMessage)) and not event.frame_finished:
            return True
        return self.budget.spend()

    def _refuse(self, out: bytes, code: int, reason: str) -> bool:
        """Send a close frame with `code`, let the client read it, and stop reading."""
        out += self.ws.send(CloseConnection(code, reason))
        self.close_reason, self.close_message = code, reason
        self.sent_code = code
        self.connected = False
        self.event.set()
        try:
            self.sock.send(out)
            self.sock.shutdown(socket.SHUT_WR)
            self._linger()
        except OSError:
            pass
        return False

    def _linger(self) -> None:
        deadline, dropped = time.monotonic() + LINGER_SECONDS, 0
        while dropped < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                return
            dropped += len(data)


def accept(environ, config) -> Server:
    """Upgrade this request to a WebSocket with the app's options and limits."""
    return Server(
        environ,
        max_inbound_rate=config["TOCSIN_WS_MAX_INBOUND_RATE"],
        **config.get("SOCK_SERVER_OPTIONS", {}),
    )


def finished(server: Server) -> Response:
    """Return what the WSGI server needs once the socket is done (as flask-sock does)."""
    with contextlib.suppress(simple_websocket.ConnectionClosed):
        server.close()
    # The client waits for the server to end TCP (RFC 6455 7.1.1). Werkzeug, once the
    # handler returns, reads the connection to its end before closing it: a client's
    # close reply read there left both sides waiting, 1 run in 4 of the cap test.
    with contextlib.suppress(OSError):  # already shut, or closed by the reading thread
        server.sock.shutdown(socket.SHUT_WR)
    return _Done(server.mode)


class _Done(Response):
    """The response for a socket already answered: nothing more goes on the wire."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def __call__(self, environ, start_response):
        if self.mode == "gunicorn":
            raise StopIteration()  # gunicorn's way to hear "connection already handled"
        if self.mode == "werkzeug":
            return super().__call__(environ, start_response)
        return []
