"""pytest plugin: fixtures for testing an app that embeds Tocsin, in a real browser.

Registered as the `tocsin` pytest11 entry point. No fixture is autouse: a test opts in by
naming one. Define `tocsin_app` (your Flask app, database ready) and `tocsin_user` (a user
object Flask-Login accepts) in your conftest.py; then `tocsin_bell` is a logged-in page's
bell. Without Playwright the browser fixtures skip; everything else still loads.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from .bell import Bell
from .server import LiveServer, login_cookie

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # browser fixtures skip; a host's other tests run as before
    sync_playwright = None  # type: ignore[assignment]

#: Where a system Chromium usually is, tried after Playwright's own build.
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
#: Flags for a headless Chromium in a container or CI runner.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Playwright's default of 30 s hides a missed push for half a minute.
DEFAULT_TIMEOUT_MS = 10_000


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tocsin", "Tocsin test kit")
    group.addoption(
        "--tocsin-chromium",
        default=os.environ.get("TOCSIN_CHROMIUM"),
        help="Chromium executable for the browser fixtures (env TOCSIN_CHROMIUM); "
        "default: Playwright's own build, else a system Chromium",
    )


def _unavailable(reason: str) -> NoReturn:
    # CI sets TOCSIN_REQUIRE_BROWSER=1 so that a missing browser fails instead of skipping.
    if os.environ.get("TOCSIN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TOCSIN_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _chromium(pw, chosen: str | None) -> str | None:
    """Return the executable to launch (None: Playwright's own), or skip."""
    if chosen:
        return chosen
    if Path(pw.chromium.executable_path).exists():
        return None
    for path in SYSTEM_CHROMIUMS:
        if Path(path).exists():
            return path
    _unavailable("no Chromium: set --tocsin-chromium or run `playwright install chromium`")


@pytest.fixture
def tocsin_app():
    """Your Flask app with Tocsin, its database ready: override this fixture."""
    pytest.fail("define a `tocsin_app` fixture returning your Flask app", pytrace=False)


@pytest.fixture
def tocsin_user():
    """The user `tocsin_page` logs in as (what your user_loader returns): override this."""
    pytest.fail("define a `tocsin_user` fixture returning the user to log in", pytrace=False)


@pytest.fixture
def tocsin_start_path() -> str:
    """The path `tocsin_page` opens after logging in: a page of yours with the bell."""
    return "/"


@pytest.fixture
def tocsin_server(tocsin_app) -> Iterator[LiveServer]:
    """Serve `tocsin_app` on a free port for the test; `.url` is its base URL."""
    server = LiveServer(tocsin_app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tocsin_browser(pytestconfig):
    """One headless Chromium for the session (skips without Playwright or Chromium)."""
    if sync_playwright is None:
        _unavailable("Playwright is not installed (pip install playwright)")
    pw = sync_playwright().start()
    try:
        executable = _chromium(pw, pytestconfig.getoption("tocsin_chromium"))
        browser = pw.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield browser
        browser.close()
    finally:
        pw.stop()


@pytest.fixture
def tocsin_context(tocsin_browser):
    """A fresh browser context (cookies, storage) for the test, closed after it."""
    context = tocsin_browser.new_context()
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def tocsin_login(tocsin_app, tocsin_server, tocsin_browser) -> Iterator[Callable[..., Bell]]:
    """Log a user in and open a page with the bell; return its Bell once live.

    Call it as `tocsin_login(user, path="/")`: each call is another person's browser (its
    own context), logged in through Flask-Login without your login form.
    """
    contexts = []

    def login(user, path: str = "/") -> Bell:
        context = tocsin_browser.new_context()
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        name, value = login_cookie(tocsin_app, user)
        context.add_cookies([{"name": name, "value": value, "url": tocsin_server.url}])
        page = context.new_page()
        page.goto(tocsin_server.url + path)
        bell = Bell(page)
        bell.wait_live()
        return bell

    yield login
    for context in contexts:
        context.close()


@pytest.fixture
def tocsin_bell(tocsin_login, tocsin_user, tocsin_start_path) -> Bell:
    """The bell of a page logged in as `tocsin_user` at `tocsin_start_path`, live."""
    return tocsin_login(tocsin_user, tocsin_start_path)


@pytest.fixture
def tocsin_page(tocsin_bell):
    """The Playwright page of `tocsin_bell`."""
    return tocsin_bell.page
