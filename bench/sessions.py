"""Many logged-in users for the benchmarks, without a password hash and a login each.

A fan-out to 10,000 users needs 10,000 logged-in sockets. Hashing 10,000 passwords and
posting 10,000 login forms would take minutes and measure nothing the benchmark is
about, so users are inserted in one statement sharing one password hash, and each
one's session cookie is made by the app itself: Flask-Login's `login_user` in a request
context shaped like the load client's handshake (same address and User-Agent), which
runs Tocsin's own login hooks, then Flask's own cookie serializer. The server cannot
tell these cookies from ones its login form set.
"""

import sqlalchemy as sa
from flask import Flask, session
from flask_login import login_user
from werkzeug.security import generate_password_hash

from app.models import User
from tocsin.extensions import db

#: The User-Agent the load client's `websockets` connections send.
try:
    from websockets.http11 import USER_AGENT
except ImportError:  # pragma: no cover - websockets is a test dependency
    USER_AGENT = "Python websockets"


def create_users(db_session, names: list[str], password: str) -> dict[str, int]:
    """Insert users sharing one password hash; return name -> id."""
    pw_hash = generate_password_hash(password)
    db_session.execute(
        sa.insert(User), [{"username": name, "password_hash": pw_hash} for name in names]
    )
    db_session.commit()
    rows = db_session.execute(
        sa.select(User.username, User.id).where(User.username.in_(names))
    ).all()
    return dict(rows)


def session_cookies(app: Flask, user_ids: list[int]) -> dict[int, str]:
    """Log each user in through Flask-Login in a request context; return id -> Cookie header."""
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = {}
    with app.app_context():
        for uid in user_ids:
            with app.test_request_context(
                "/login",
                method="POST",
                headers={"User-Agent": USER_AGENT},
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
            ):
                login_user(db.session.get(User, uid))
                cookies[uid] = f"{name}={serializer.dumps(dict(session))}"
            db.session.remove()
    return cookies
