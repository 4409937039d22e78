"""The far ends the delivery benchmark sends to, on this machine: an SMTP server and a Web
Push service, both accepting everything and counting who got what.

Neither decrypts or parses more than it must (the test suite's push service checks the
encryption and the VAPID token, tests/push_service.py): here they stand for a mail relay
and a push service that answer at once, so the figure is the sender's cost.
"""

import base64
import os
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .services import free_port


class _Inbox:
    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's
        with self.lock:
            self.received.update(envelope.rcpt_tos)
        return "250 OK"


class SmtpSink:
    """An SMTP server (aiosmtpd, its own thread) that takes every message."""

    def __init__(self) -> None:
        self.inbox = _Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> Counter[str]:
        return self.inbox.received

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class PushSink:
    """A push service that answers 201 to every POST and counts them per endpoint path."""

    def __init__(self) -> None:
        received: Counter[str] = Counter()
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    received[self.path] += 1
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def endpoint(self, key: str) -> str:
        return f"http://{self.host}/push/{key}"

    def start(self) -> "PushSink":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def browser_keys() -> tuple[str, str]:
    """A browser's subscription keys (base64url): its P-256 public key and an auth secret."""
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return _b64(point), _b64(os.urandom(16))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
