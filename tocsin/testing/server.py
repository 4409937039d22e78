"""Serve a Flask app on a free port in a thread, and log a user in without a login form."""

import threading
from http.cookies import SimpleCookie

from flask import Flask, session
from flask_login import login_user
from werkzeug.serving import BaseWSGIServer, make_server


class LiveServer:
    """A Flask app served by Werkzeug in a background thread, WebSockets included."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the server's base URL, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> "LiveServer":
        """Start serving; the port is known once this returns."""
        # threaded: each socket holds a thread for its lifetime, as under `flask run`.
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting requests; open sockets end with the browser that holds them."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def login_cookie(app: Flask, user) -> tuple[str, str]:
    """Return the session cookie (name, value) of `user` logged in with Flask-Login.

    login_user() runs as in a real login, so its signal handlers (Tocsin's login record
    among them) run too, and the app's own session interface writes the cookie.
    """
    with app.test_request_context("/"):
        login_user(user)
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        name = app.config["SESSION_COOKIE_NAME"]
        for header in response.headers.getlist("Set-Cookie"):
            cookie = SimpleCookie(header)
            if name in cookie:
                return name, cookie[name].value
    raise RuntimeError(f"the app set no {name!r} cookie for the login")
