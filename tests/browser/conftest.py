"""Browser fixtures: the test kit's Chromium (tocsin.testing), a real Tocsin server per test.

Every test gets a fresh instance folder with the demo users alice and bob, its own
`flask run` process (a restart is a new process, as in production) and a fresh browser
context. Notifications are published from other processes, as in production: the
`flask tocsin send` CLI, or an app created in the test process on the same database
(faster when a test needs many). Pages are read and driven through the kit's Bell.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support import LiveServer, flask_cli, server_env
from tocsin.testing import Bell

REQUIRE_BROWSER = os.environ.get("TOCSIN_REQUIRE_BROWSER") == "1"
try:
    from playwright.sync_api import expect
except ImportError:
    if REQUIRE_BROWSER:
        raise
    collect_ignore_glob = ["test_*.py"]  # no Playwright: nothing here can run

PASSWORD = "tocsin"
#: Playwright's default of 30 s hides a missed push for half a minute.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser(tocsin_browser):
    """The kit's headless Chromium: the system's (TOCSIN_CHROMIUM), else Playwright's own."""
    return tocsin_browser


@pytest.fixture
def extra_env() -> dict:
    """Extra TOCSIN_* settings for the server; override with @pytest.mark.parametrize."""
    return {}


class Tocsin:
    """A running Tocsin instance and ways to publish to it from other processes."""

    def __init__(self, env: dict, server: LiveServer) -> None:
        self.env = env
        self.server = server

    @property
    def url(self) -> str:
        return self.server.url

    def send(self, title: str, to: str = "alice", type_: str = "comment", **opts: str) -> int:
        """Publish with `flask tocsin send` in another process; return the printed id."""
        args = ["tocsin", "send", "--to", to, "--type", type_, "--title", title]
        for name, value in opts.items():
            args += [f"--{name}", value]
        done = flask_cli(self.env, *args)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.strip().splitlines()[-1])

    @contextmanager
    def app_context(self) -> Iterator:
        """Create the app in the test process, on the server's database, and enter it."""
        from app import create_app
        from tocsin.extensions import db

        keys = ("TOCSIN_INSTANCE_PATH", "TOCSIN_SECRET_KEY", "TOCSIN_DATABASE_URL")
        saved = {k: os.environ.get(k) for k in keys}
        os.environ.update({k: self.env[k] for k in keys if k in self.env})
        try:
            flask_app = create_app()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        with flask_app.app_context():
            try:
                yield flask_app
            finally:
                db.session.remove()
                db.engine.dispose()

    def create(self, *specs: dict, to: str = "alice") -> list[int]:
        """Publish one notification per spec through the service, in order; return the ids."""
        from app import users
        from tocsin.extensions import db
        from tocsin.notifications import service

        with self.app_context():
            user_id = users.by_username(db.session, to).id
            return [
                service.create(db.session, user_id, **{"type": "comment", **spec}).id
                for spec in specs
            ]

    def create_many(self, count: int, title: str = "Bulk", to: str = "alice", **fields) -> list:
        """Publish `count` notifications titled "<title> 1".."<title> <count>"; return the ids."""
        specs = [{**fields, "title": f"{title} {i}"} for i in range(1, count + 1)]
        return self.create(*specs, to=to)


@pytest.fixture
def tocsin(tmp_path, extra_env) -> Iterator[Tocsin]:
    """A fresh instance with alice and bob (password "tocsin"), served in a subprocess."""
    env = server_env(tmp_path / "instance", **extra_env)
    done = flask_cli(env, "tocsin", "init", "--demo")
    assert done.returncode == 0, done.stderr
    server = LiveServer(env).start()
    try:
        yield Tocsin(env, server)
    finally:
        server.stop()


@pytest.fixture
def new_context(browser):
    """Open another browser context (another person's browser); closed after the test."""
    contexts = []

    def new_context(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


class ConsoleErrors(list):
    """Console errors and uncaught exceptions from the pages watched."""

    def watch(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.append(f"uncaught: {exc}"))

    def _console(self, message) -> None:
        # Chromium asks every site for a favicon; a host app may have none. Not a page error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.append(message.text)


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def new_page(context, console_errors):
    """Open another tab in the test's context, its console watched."""

    def new_page(ctx=None):
        page = (ctx or context).new_page()
        console_errors.watch(page)
        return page

    return new_page


@pytest.fixture
def page(new_page):
    return new_page()


def wait_live(page, timeout: float = TIMEOUT_MS, after: int = 0) -> None:
    """Wait until the socket is open and a snapshot newer than the `after`-th is applied."""
    Bell(page).wait_live(after, timeout=timeout)


@pytest.fixture
def login(tocsin):
    """Log a page in through the real /login form, then wait for the live snapshot."""

    def login(page, username: str = "alice", password: str = PASSWORD) -> None:
        page.goto(tocsin.url + "/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(tocsin.url + "/")
        wait_live(page)

    return login


@pytest.fixture
def live():
    """Wait for a page's socket to be open with its snapshot in (after a reconnect)."""
    return wait_live


def open_bell_panel(page):
    """Click the bell and wait for the panel fragment; return the panel locator."""
    return Bell(page).open_panel()


@pytest.fixture
def open_panel():
    return open_bell_panel


@pytest.fixture
def bell(page) -> Bell:
    """The kit's page object for the test's page (log it in first)."""
    return Bell(page)


def pytest_terminal_summary(terminalreporter) -> None:
    """List the screenshots the tests recorded (test_screens.py), for a reviewer of the log."""
    paths = {
        value: None
        for reports in terminalreporter.stats.values()
        for report in reports
        for name, value in getattr(report, "user_properties", ())
        if name == "screenshot"
    }
    if paths:
        terminalreporter.write_sep("-", f"{len(paths)} screenshots")
        for path in paths:
            terminalreporter.write_line(str(path))
