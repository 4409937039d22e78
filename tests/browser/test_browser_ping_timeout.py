"""A tab whose socket timed out (its pong never arrived) comes back by itself (issue 9, item 10).

A TCP proxy written here sits between Chromium and the server. Holding its traffic keeps
the browser's pong from the server, which closes the socket after one ping interval;
released, the browser reads the close frame and must reconnect and catch up. Served by
gunicorn's gevent worker, as in production: the dev server writes an HTTP response after
the close frame, which Chromium reports as 1006 whatever the code was.
"""

import re
import socket
import threading
from collections import deque

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Tocsin, wait_live
from tests.support import GunicornServer, flask_cli, server_env
from tocsin.testing import Bell

pytestmark = pytest.mark.browser

#: Test instrumentation on <html>: the close codes the page's socket saw, in order.
CLOSE_CODES = "data-test-close-codes"
RECORD_CLOSE_CODES = f"""
document.addEventListener('htmx:wsClose', function (evt) {{
  var html = document.documentElement;
  var code = evt.detail.event && evt.detail.event.code;
  html.setAttribute('{CLOSE_CODES}', (html.getAttribute('{CLOSE_CODES}') || '') + code + ' ');
}});
"""


@pytest.fixture
def tocsin(tmp_path):
    """A fresh instance with alice, served by one gunicorn gevent worker pinging every 1 s."""
    env = server_env(tmp_path / "instance", TOCSIN_WS_PING_INTERVAL="1")
    done = flask_cli(env, "tocsin", "init", "--demo")
    assert done.returncode == 0, done.stderr
    server = GunicornServer(env, worker_class="gevent").start()
    try:
        yield Tocsin(env, server)
    finally:
        server.stop()


class Pipe:
    """One direction of one proxied connection: read all the time, forward while flowing."""

    def __init__(self, src: socket.socket, dst: socket.socket, flowing: threading.Event):
        self.src, self.dst, self.flowing = src, dst, flowing
        self.chunks: deque[bytes] = deque()
        self.ready = threading.Condition()
        self.eof = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._write, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = self.src.recv(65536)
            except OSError:
                data = b""
            with self.ready:
                self.chunks.append(data)
                self.ready.notify()
            if not data:
                self.eof.set()
                return

    def _write(self) -> None:
        while True:
            with self.ready:
                self.ready.wait_for(lambda: self.chunks)
                data = self.chunks.popleft()
            self.flowing.wait()
            try:
                if not data:
                    self.dst.shutdown(socket.SHUT_WR)
                    return
                self.dst.sendall(data)
            except OSError:
                return


class HoldingProxy:
    """Forward 127.0.0.1:<port> to the server; hold() keeps every byte until release()."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        #: Server-to-browser pipes of WebSocket connections, newest last.
        self.sockets: list[Pipe] = []
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                browser, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self.conns += [browser, server]
            # The request line tells a socket's connection from a page's.
            first = browser.recv(65536)
            server.sendall(first)
            Pipe(browser, server, self.flowing)
            down = Pipe(server, browser, self.flowing)
            if first.startswith(b"GET /notifications/ws"):
                self.sockets.append(down)

    def hold(self) -> None:
        self.flowing.clear()

    def release(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.release()
        self.listener.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture
def proxy(tocsin):
    proxy = HoldingProxy(tocsin.server.port)
    yield proxy
    proxy.close()


def test_a_tab_whose_pong_never_arrived_reconnects_and_catches_up(
    tocsin, proxy, page, open_panel, console_errors
):
    page.add_init_script(RECORD_CLOSE_CODES)
    page.goto(proxy.url + "/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(proxy.url + "/")
    wait_live(page)
    open_panel(page)
    snapshots = Bell(page).snapshots()
    socket_pipe = proxy.sockets[-1]

    proxy.hold()  # the browser's pongs stop here: the server gives up after a ping interval
    assert socket_pipe.eof.wait(15), "the server never closed the silent socket"
    missed = tocsin.send("Published while the socket was gone")
    proxy.release()

    html = page.locator("html")
    expect(html).to_have_attribute(CLOSE_CODES, re.compile(r"^1013 "))
    wait_live(page, timeout=20_000, after=snapshots)  # reconnected by itself, snapshot in
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected")
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "1")
    expect(page.locator(f"#notification-{missed}")).to_have_count(1)
    assert len(proxy.sockets) >= 2  # a new socket, through the proxy again

    live = tocsin.send("Live again")
    expect(page.locator(f"#toast-{live}")).to_be_visible()
    assert console_errors == []
