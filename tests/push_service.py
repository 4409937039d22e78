"""A Web Push service on localhost for tests: it decrypts what it gets and checks VAPID.

Like a browser vendor's push service, it takes POSTs at per-device endpoints
(``/push/<device>``), and keeps each request: headers, the VAPID claims it verified
(ES256 with the ``k=`` key; ``aud`` the endpoint's origin; ``exp`` ahead and within 24 h)
and the payload, decrypted (aes128gcm, http_ece) with the private key of the device the
test made (`Device`: the browser's P-256 key pair and auth secret). It answers what the
test scripted, in turn (201 once the script runs out).
"""

import base64
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    name: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        raw = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(raw)

    def subscription(self, base: str) -> dict:
        """What `PushSubscription.toJSON()` gives in the browser."""
        return {
            "endpoint": f"{base}/push/{self.name}",
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }


@dataclass
class Received:
    device: str
    headers: dict
    claims: dict
    vapid_key: str
    payload: dict
    size: int


class VapidError(AssertionError):
    pass


def verify_vapid(authorization: str, origin: str) -> tuple[dict, str]:
    """Check a `vapid t=…,k=…` header (RFC 8292); return its claims and key."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    token, key = parts["t"], parts["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    assert json.loads(unb64url(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    signature = unb64url(signature_b64)
    assert len(signature) == 64
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64url(claims_b64))
    now = time.time()
    if claims["aud"] != origin:
        raise VapidError(f"aud {claims['aud']!r} is not {origin!r}")
    if not now < claims["exp"] <= now + 24 * 3600:
        raise VapidError(f"exp {claims['exp']} not within 24 h of {now}")
    if not claims.get("sub", "").startswith(("mailto:", "https:")):
        raise VapidError(f"sub {claims.get('sub')!r}")
    return claims, key


class PushService:
    """The server, on 127.0.0.1 at a free port, in a thread; `with` starts and stops it."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.script: deque[tuple[int, dict]] = deque()
        self.received: list[Received] = []
        self.errors: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                service.handle(self)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    @property
    def origin(self) -> str:
        return f"http://{self.host}"

    def device(self, name: str) -> Device:
        self.devices[name] = Device(name)
        return self.devices[name]

    def answer(self, status: int, **headers: str) -> None:
        """Script the next answer."""
        self.script.append((status, headers))

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        status, headers = self.script.popleft() if self.script else (201, {})
        try:
            name = request.path.removeprefix("/push/")
            device = self.devices[name]
            claims, key = verify_vapid(request.headers["Authorization"], self.origin)
            assert request.headers["Content-Encoding"] == "aes128gcm"
            plain = http_ece.decrypt(
                body, private_key=device.key, auth_secret=device.auth, version="aes128gcm"
            )
            self.received.append(
                Received(
                    name,
                    {k.lower(): v for k, v in request.headers.items()},
                    claims,
                    key,
                    json.loads(plain),
                    len(plain),
                )
            )
        except Exception as exc:  # reported to the test, which fails on it
            self.errors.append(f"{type(exc).__name__}: {exc}")
            status, headers = 400, {}
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name.replace("_", "-"), value)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def __enter__(self) -> "PushService":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
