"""Hold many idle live connections from one thread: event streams or WebSockets.

A bare socket each, opened with a hand-written request (a GET of the stream, or a
WebSocket upgrade without compression), kept open and read as bytes arrive, so that the
server's memory and CPU per idle connection is what is measured, not a client library's.
A WebSocket's pings get their pong (the server closes a socket that stops answering);
a stream's heartbeats are read and dropped.
"""

import base64
import os
import selectors
import socket
import struct
import threading
import time

#: What every first message (the snapshot) holds.
MARKER = b"notification-badge"


def stream_request(host: str, path: str, cookie: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    ).encode()


def upgrade_request(host: str, path: str, cookie: str, origin: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    ).encode()


def pong(payload: bytes) -> bytes:
    """A masked pong frame (a client masks every frame)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x8A, 0x80 | len(payload)]) + mask + masked


class Conn:
    def __init__(self, sock: socket.socket, websocket: bool) -> None:
        self.sock, self.websocket = sock, websocket
        self.buffer = b""
        self.upgraded = False
        self.ready = False  # the snapshot came
        self.closed = False


class Holder:
    """Open `len(requests)` connections to (host, port) and keep reading them."""

    def __init__(self, host: str, port: int, websocket: bool) -> None:
        self.host, self.port, self.websocket = host, port, websocket
        self.selector = selectors.DefaultSelector()
        self.conns: list[Conn] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()

    def open(self, requests: list[bytes], batch: int = 100, timeout: float = 60.0) -> int:
        """Open a connection per request, `batch` at a time, each batch waited for until
        its snapshots came (a storm of handshakes measures the pool, not a connection);
        return how many are held."""
        self._thread.start()
        for start in range(0, len(requests), batch):
            for request in requests[start : start + batch]:
                sock = socket.create_connection((self.host, self.port), timeout=10)
                sock.sendall(request)
                sock.setblocking(False)
                conn = Conn(sock, self.websocket)
                with self._lock:
                    self.conns.append(conn)
                    self.selector.register(sock, selectors.EVENT_READ, conn)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.pending():
                time.sleep(0.05)
        return self.held()

    def pending(self) -> int:
        return sum(not c.ready and not c.closed for c in self.conns)

    def held(self) -> int:
        return sum(c.ready and not c.closed for c in self.conns)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self.conns:
            conn.sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                events = self.selector.select(timeout=0.05) if self.conns else []
            for key, _ in events:
                self._read(key.data)
            if not self.conns:
                time.sleep(0.05)

    def _read(self, conn: Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            conn.closed = True
            self.selector.unregister(conn.sock)
            return
        if not conn.websocket:
            conn.ready = conn.ready or MARKER in data or MARKER in conn.buffer + data
            conn.buffer = b"" if conn.ready else (conn.buffer + data)[-64:]
            return
        conn.buffer += data
        if not conn.upgraded:
            head, sep, rest = conn.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                conn.closed = True
                return
            conn.upgraded, conn.buffer = True, rest
        self._frames(conn)

    def _frames(self, conn: Conn) -> None:
        """Take whole frames off the buffer: answer pings, note the snapshot."""
        buf = conn.buffer
        while len(buf) >= 2:
            opcode, length, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    break
                length, at = struct.unpack("!H", buf[2:4])[0], 4
            elif length == 127:
                if len(buf) < 10:
                    break
                length, at = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < at + length:
                break
            payload, buf = buf[at : at + length], buf[at + length :]
            if opcode == 0x9:
                conn.sock.setblocking(True)
                conn.sock.sendall(pong(payload))
                conn.sock.setblocking(False)
            elif opcode == 0x8:
                conn.closed = True
            elif MARKER in payload:
                conn.ready = True
        conn.buffer = buf
