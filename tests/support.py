"""Test helpers: a real Tocsin server in a subprocess, HTTP login, and WebSocket clients."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ITEM_RE = re.compile(r'<li id="notification-(\d+)"')
COUNT_RE = re.compile(r'id="notification-badge"[^>]*data-count="(\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(instance: Path, database_url: str | None = None, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        TOCSIN_INSTANCE_PATH=str(instance),
        TOCSIN_SECRET_KEY="test-secret",
        TOCSIN_BROKER_POLL_INTERVAL="0.05",
        # As `make run`: the users of `tocsin init --demo` log in only in demo mode.
        TOCSIN_DEMO="1",
        # Servers here measure and load the API (bench/ingest.py publishes thousands a
        # minute with one token); the per-token limit is tested in tests/test_limits.py.
        TOCSIN_API_RATE_LIMIT="",
        PYTHONUNBUFFERED="1",
        # Tests read the broker's state and the socket count from /healthz.
        TOCSIN_HEALTHZ_DETAILS="1",
    )
    if database_url:
        env["TOCSIN_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def flask_cli(env: dict, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` in a separate process, like an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )


class LiveServer:
    """`flask --app wsgi run` on a free port; stop() and start() again to simulate a restart."""

    def __init__(
        self, env: dict, port: int | None = None, python: str = sys.executable, cwd: Path = ROOT
    ) -> None:
        self.env = env
        #: The interpreter and folder it runs from: a fresh venv and a host app, or ours.
        self.python, self.cwd = python, cwd
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = Path(env["TOCSIN_INSTANCE_PATH"]) / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/notifications/ws"

    def start(self) -> "LiveServer":
        out = open(self.log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            [
                self.python,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-reload",
                "--no-debugger",
            ],
            cwd=self.cwd,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        raise RuntimeError("server did not start in 30 s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class HttpSession:
    """A logged-in browser-like HTTP session (cookies, CSRF token) against a LiveServer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.csrf = ""

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str, dict]:
        return self._send(urllib.request.Request(self.base + path, headers=headers or {}))

    def post(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode({"csrf_token": self.csrf, **(data or {})}).encode()
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        return self._send(req)

    def _send(self, req) -> tuple[int, str, dict]:
        try:
            with self.opener.open(req, timeout=10) as resp:
                return resp.status, resp.read().decode(), dict(resp.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(), dict(err.headers)

    def login(self, username: str, password: str = "tocsin") -> "HttpSession":
        _, page, _ = self.get("/login")
        self.csrf = CSRF_RE.search(page).group(1)
        status, _, _ = self.post("/login", {"username": username, "password": password})
        assert status == 303, f"login failed for {username}: {status}"
        _, page, _ = self.get("/notifications")
        self.csrf = CSRF_RE.search(page).group(1)
        return self

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    @contextmanager
    def websocket(
        self,
        origin: str | None = None,
        ws_url: str | None = None,
        rcvbuf: int | None = None,
        **options,
    ):
        url = ws_url or self.base.replace("http://", "ws://") + "/notifications/ws"
        if rcvbuf is not None:
            # A fixed small receive buffer (no autotuning): a client that stops reading
            # then fills the connection in megabytes, not in the kernel's 32 MiB.
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            parts = urllib.parse.urlsplit(url)
            sock.connect((parts.hostname, parts.port))
            options["sock"] = sock
        with connect(
            url,
            origin=origin or self.base,
            additional_headers={"Cookie": self.cookie_header},
            open_timeout=5,
            close_timeout=2,
            **options,
        ) as ws:
            yield ws


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def recv_until(ws, predicate, timeout: float = 5.0) -> list[str]:
    """Collect messages until one satisfies predicate(all messages so far); fail on timeout."""
    messages: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"condition not met in {timeout}s; got {messages!r}")
        try:
            messages.append(ws.recv(timeout=remaining))
        except TimeoutError:
            continue
        if predicate(messages):
            return messages


def item_ids(message: str) -> list[int]:
    return [int(i) for i in ITEM_RE.findall(message)]


def badge_count(message: str) -> int | None:
    found = COUNT_RE.findall(message)
    return int(found[-1]) if found else None


LIST_RE = re.compile(
    r'<ul id="notification-list" hx-swap-oob="(innerHTML|afterbegin)"[^>]*>(.*?)</ul>', re.DOTALL
)


class ClientModel:
    """What a browser tab shows after applying pushed messages the way the page does.

    A snapshot (innerHTML) replaces the list; a push (afterbegin) prepends items, and
    the page drops an item whose id it already shows — counted here as a duplicate.
    """

    def __init__(self) -> None:
        self.badge: int | None = None
        self.ids: list[int] = []
        self.duplicates: list[int] = []

    def apply(self, message: str) -> None:
        for how, body in LIST_RE.findall(message):
            ids = item_ids(body)
            if how == "innerHTML":
                self.ids = ids
            else:
                self.duplicates += [i for i in ids if i in self.ids]
                self.ids = [i for i in ids if i not in self.ids] + self.ids
        count = badge_count(message)
        if count is not None:
            self.badge = count

    def read(self, ws, until, timeout: float = 10.0) -> None:
        """Apply messages from `ws` until `until(self)` holds; fail after `timeout`."""

        def done(messages):
            self.apply(messages[-1])
            return until(self)

        recv_until(ws, done, timeout)


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns a truthy value; return it, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {timeout}s")
        time.sleep(interval)


class GunicornServer(LiveServer):
    """`gunicorn -c python:tocsin.gunicorn wsgi:app` (or `app`) on a free port, as in production."""

    def __init__(
        self,
        env: dict,
        port: int | None = None,
        worker_class: str | None = None,
        app: str = "wsgi:app",
        python: str = sys.executable,
        cwd: Path = ROOT,
    ):
        super().__init__(env, port, python, cwd)
        self.app = app
        self.env = {
            **env,
            "TOCSIN_BIND": f"127.0.0.1:{self.port}",
            "TOCSIN_WORKERS": "1",
            "TOCSIN_WORKER_CONNECTIONS": "100",
        }
        if worker_class:
            self.env["TOCSIN_WORKER_CLASS"] = worker_class
        self.log = Path(env["TOCSIN_INSTANCE_PATH"]) / f"gunicorn-{self.port}.log"
        self.returncode: int | None = None

    def start(self) -> "GunicornServer":
        out = open(self.log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            [self.python, "-m", "gunicorn", "-c", "python:tocsin.gunicorn", self.app],
            cwd=self.cwd,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        """Wait until a worker answers /healthz."""

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        wait_until(ready, timeout, what="gunicorn answering /healthz")

    def worker_pids(self) -> list[int]:
        pid = self.proc.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def wait_for_new_worker(self, old: int, timeout: float = 30) -> int:
        """Wait until the master has replaced worker `old` and the new one serves."""

        def replaced() -> int | None:
            new = [pid for pid in self.worker_pids() if pid != old]
            return new[0] if new and not Path(f"/proc/{old}").exists() else None

        pid = wait_until(replaced, timeout, what=f"worker {old} replaced")
        self.wait_ready(timeout)
        return pid

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Signal the master and wait for it; keep its exit status in `returncode`."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.returncode = self.proc.returncode
        self.proc = None
