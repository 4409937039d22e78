"""The server's VAPID key: it signs every Web Push request, and browsers subscribe to it.

TOCSIN_VAPID_PRIVATE_KEY (PEM, or base64url of the raw 32 bytes or DER) when set; else a
key generated once into the instance folder (TOCSIN_VAPID_KEY_FILE, mode 0600). Several
processes may start at once: each writes a key to a file of its own and links it into
place, and exactly one link wins, so all of them read the same complete key.
"""

import base64
import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from flask import Flask
from py_vapid import Vapid

#: app.extensions key of the loaded key (parsing a PEM per push would waste a millisecond).
KEY = "tocsin_vapid"


def load(app: Flask) -> Vapid:
    """Return the app's VAPID key, generating and storing one on first use if none is set."""
    vapid = app.extensions.get(KEY)
    if vapid is None:
        configured = app.config["TOCSIN_VAPID_PRIVATE_KEY"]
        vapid = parse(configured) if configured else _from_file(_path(app))
        app.extensions[KEY] = vapid
    return vapid


def parse(text: str) -> Vapid:
    """Read a private key given as PEM, or as base64url of the raw key or its DER."""
    text = text.strip()
    if "BEGIN" in text:
        return Vapid.from_pem(text.encode())
    return Vapid.from_string(text)


def public_key(app: Flask) -> str:
    """Return the public key as the browser's `applicationServerKey` (base64url, no padding)."""
    raw = load(app).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _path(app: Flask) -> Path:
    return Path(app.instance_path) / app.config["TOCSIN_VAPID_KEY_FILE"]


def _from_file(path: Path) -> Vapid:
    if not path.exists():
        _generate(path)
    return Vapid.from_pem(path.read_bytes())


def _generate(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    vapid = Vapid()
    vapid.generate_keys()
    # mkstemp creates the file 0600: the key is never readable by others, even briefly.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(vapid.private_pem())
        # Atomic, and fails if another process got there first: then its key is the one.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
