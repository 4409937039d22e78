"""Tie Flask-Login's logins, the app's own or a host's, to server-side login records.

Tocsin.init_app connects these hooks: a login (by form or remember-me cookie) starts a
record whose id goes in ``session["sid"]``; every request checks it first, so a cookie
whose login was ended or has expired counts as logged out; a logout ends the record
and closes its sockets on every process.
"""

from datetime import timedelta

from flask import Flask, current_app, g, request, session
from flask_login import logout_user

from . import broker, logins
from .extensions import store


def lifetime(app: Flask) -> logins.Lifetime:
    idle = app.config["TOCSIN_SESSION_IDLE"]
    return logins.Lifetime(
        absolute=timedelta(seconds=app.config["TOCSIN_SESSION_LIFETIME"]),
        idle=timedelta(seconds=idle) if idle else None,
    )


def on_login(app: Flask, user, **_) -> None:
    """Start a login record (signal handler for logins and remember-me cookies)."""
    session["sid"] = logins.start(store.session, int(user.get_id()), lifetime(app))
    session.pop("exp", None)  # the cookie's own expiry, from before logins were records


def on_logout(app: Flask, user, **_) -> None:
    """End this login's record and close its sockets everywhere, if it was still on."""
    sid = session.pop("sid", None)
    if sid and logins.end(store.session, sid) and user is not None:
        broker.publish(int(user.get_id()), {"kind": "logout", "session": sid})


def check_login() -> None:
    """Log the request out (before anything reads current_user) if its login is over."""
    user_id = session.get("_user_id")
    if user_id is None or (request.endpoint or "").endswith("static"):
        return
    ends = login_ends(session.get("sid"), user_id)
    if ends is None:
        logout_user()  # forgets a remember-me cookie too, so it cannot log back in
        return
    g.tocsin_login_ends = ends


def login_ends(sid: str | None, user_id, touch: bool = True) -> float | None:
    """Return when the login `sid` of `user_id` ends (a Unix time); None if it is over.

    `touch` notes a request; an open socket alone is not activity.
    """
    if not sid or not str(user_id).isdigit():
        return None
    ends = logins.check(store.session, sid, int(user_id), lifetime(current_app), touch=touch)
    return ends.timestamp() if ends else None


def end_other_logins(user_id: int) -> int:
    """End the user's logins but the current one, closing their sockets; return how many."""
    ended = logins.end_others(store.session, user_id, session.get("sid", ""))
    broker.current().publish_many([(user_id, {"kind": "logout", "session": s}) for s in ended])
    return len(ended)
