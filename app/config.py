"""The standalone app's settings: Flask's own, read from TOCSIN_* environment variables.

Tocsin reads its own settings (tocsin/config.py) in `Tocsin.init_app`, for this app as
for a host. These are the app's: a host sets its own Flask settings its own way.
"""

import os
from pathlib import Path
from typing import overload


@overload
def _env(name: str) -> str | None: ...
@overload
def _env(name: str, default: str) -> str: ...
def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"TOCSIN_{name}", default)


def instance_path(root: Path) -> Path:
    """Return where the SQLite file and the generated secret live."""
    return Path(_env("INSTANCE_PATH") or root / "instance").resolve()


class Config:
    """Read settings from the environment at instantiation, so tests can vary them."""

    def __init__(self) -> None:
        #: SQLAlchemy URL; ``None`` means a SQLite file in the instance folder.
        self.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
        #: Flask secret; ``None`` means one generated once and kept in the instance folder.
        self.SECRET_KEY = _env("SECRET_KEY")
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SECURE = _env("SECURE_COOKIES", "0") == "1"
        self.WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
        #: How long the session cookie lasts, in seconds: as long as a login
        #: (TOCSIN_SESSION_LIFETIME, which Tocsin's login records enforce).
        self.PERMANENT_SESSION_LIFETIME = int(_env("SESSION_LIFETIME", str(14 * 24 * 3600)))
        #: Demo mode: show the demo credentials on the login page; only then may the demo
        #: users (``tocsin init --demo``) log in.
        self.TOCSIN_DEMO = _env("DEMO", "0") == "1"
        # Tocsin's settings whose default differs here; the environment still wins.
        #: The demo's page, with its navigation, around the inbox.
        self.TOCSIN_LAYOUT = _env("LAYOUT", "base.html")
        #: The demo owns every page, so every response gets the security headers.
        self.TOCSIN_SECURITY_HEADERS = _env("SECURITY_HEADERS", "all")
