"""The test kit (tocsin.testing) as a host uses it: the embedding guide's host app, in Chromium.

The fixtures come from the pytest11 entry point; this module defines only `tocsin_app`
and `tocsin_user`, as a host's conftest.py would. The host page puts the bell in a <nav>.
"""

import importlib.util
import json
import re
import secrets
import time
from datetime import datetime

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from playwright.sync_api import expect

from tests.support import ROOT
from tocsin import notify_many
from tocsin.testing import Bell, login_cookie

pytestmark = pytest.mark.browser

BUYER = "buyer@example.com"
SECRET = "host-secret"
WHITE = "rgb(255, 255, 255)"


@pytest.fixture
def host(tmp_path, monkeypatch):
    """docs/examples/host_app.py: its own users, login, CSRFProtect and Flask-WTF's 3,600 s."""
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    spec = importlib.util.spec_from_file_location(
        "host_app", ROOT / "docs" / "examples" / "host_app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'host.sqlite3'}", "SECRET_KEY": SECRET}
    )
    with app.app_context():
        module.db.create_all()
        buyer = module.add_member(BUYER, "buyer-pw")
        assert buyer.id  # loaded now: the user outlives this app context
    result = app.test_cli_runner().invoke(args=["tocsin", "init"])
    assert result.exit_code == 0, result.output
    yield app, buyer
    with app.app_context():
        module.db.engine.dispose()


@pytest.fixture
def tocsin_app(host):
    return host[0]


@pytest.fixture
def tocsin_user(host):
    return host[1]


def publish(app, title: str, count: int = 1, **fields) -> list[int]:
    with app.app_context():
        return [notify_many([BUYER], "order", f"{title}", **fields)[0] for _ in range(count)]


def test_the_page_object_reads_and_drives_the_bell(tocsin_app, tocsin_bell):
    bell = tocsin_bell
    assert bell.connection_state() == "connected" and bell.snapshots() == 1
    assert bell.count() == 0
    (nid,) = publish(tocsin_app, "Order #7 has shipped", url="/orders/7")
    toast = bell.wait_for_toast("Order #7 has shipped")
    expect(toast).to_have_attribute("data-timeout", "5000")
    bell.expect_count(1)
    bell.mark_read(nid)
    bell.expect_count(0)
    assert bell.count() == 0
    bell.close_panel()


def test_the_bell_button_has_a_name_of_its_own(tocsin_app, tocsin_bell):
    page = tocsin_bell.page
    page.clock.install()
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 2))
    publish(tocsin_app, "High", count=5, priority="high")  # urgent ones are never hidden
    expect(tocsin_bell.toasts).to_have_count(5)
    expect(page.locator("#toast-more")).to_be_visible()  # "+2 more"
    expect(page.get_by_role("button", name="Notifications")).to_have_count(1)
    expect(page.get_by_role("button", name="Notifications")).to_have_id("notification-bell-button")


def test_a_toast_under_the_pointer_says_it_is_paused(tocsin_app, tocsin_bell):
    page = tocsin_bell.page
    page.clock.install()
    publish(tocsin_app, "Hold me")
    toast = tocsin_bell.wait_for_toast("Hold me")
    expect(toast).not_to_have_attribute("data-paused", "")
    toast.hover()
    expect(toast).to_have_attribute("data-paused", "")
    page.clock.run_for(6_000)  # longer than its data-timeout: held, not gone
    expect(toast).to_be_visible()
    page.mouse.move(0, 0)
    expect(toast).not_to_have_attribute("data-paused", "")
    page.clock.run_for(6_000)
    expect(toast).to_have_count(0)


def test_a_host_rule_for_nav_links_leaves_the_panel_readable(tocsin_app, tocsin_bell):
    page = tocsin_bell.page
    # The host page's <nav> holds the bell, so its links rules reach into the panel.
    page.add_style_tag(content="nav a, nav a:link, nav a:visited, nav h2 { color: #fff; }")
    publish(tocsin_app, "Readable")
    panel = tocsin_bell.open_panel()
    for selector in (".tocsin-item-title", ".tocsin-item-link", "h2", ".tocsin-panel-footer a"):
        color = panel.locator(selector).first.evaluate("e => getComputedStyle(e).color")
        assert color != WHITE, selector


class TwoHoursAgo(TimestampSigner):
    """Signs as if it were two hours ago: a token of a page left open that long."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 7200


#: Puts `token` wherever the page keeps one, before htmx starts (init scripts run first).
AGE_PAGE = """
document.addEventListener('DOMContentLoaded', function () {
  var token = %s;
  document.querySelectorAll('input[name=csrf_token], #tocsin-csrf-token').forEach(function (i) {
    i.value = token;
  });
  document.querySelectorAll('[hx-headers]').forEach(function (e) {
    e.setAttribute('hx-headers', JSON.stringify({'X-CSRFToken': token}));
  });
});
"""


@pytest.fixture
def old_page(tocsin_app, tocsin_user, tocsin_server, tocsin_context):
    """A logged-in page whose every CSRF token expired, as if rendered two hours ago."""
    name, value = login_cookie(tocsin_app, tocsin_user)
    # The session's own token (Flask-WTF's raw one), so that an old signature of it can be made.
    cookies = tocsin_app.session_interface.get_signing_serializer(tocsin_app)
    session = cookies.loads(value)
    session["csrf_token"] = raw = secrets.token_hex(20)
    old = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token", signer=TwoHoursAgo).dumps(raw)
    tocsin_context.add_cookies(
        [{"name": name, "value": cookies.dumps(session), "url": tocsin_server.url}]
    )
    tocsin_context.add_init_script(AGE_PAGE % json.dumps(old))
    return tocsin_context.new_page()


def test_a_toast_clicked_after_the_pages_token_expired_still_reads(
    tocsin_app, tocsin_server, old_page
):
    old_page.goto(tocsin_server.url + "/")
    bell = Bell(old_page)
    bell.wait_live()  # the snapshot brings a fresh token
    (nid,) = publish(tocsin_app, "Clicked late", url="/")
    toast = bell.wait_for_toast("Clicked late")
    with old_page.expect_response(re.compile(rf"/notifications/{nid}/read$")) as answer:
        toast.locator(".tocsin-toast-link").click()
    assert answer.value.status == 200, answer.value.text()


def test_mark_all_on_an_inbox_page_older_than_its_token_still_works(
    tocsin_app, tocsin_server, old_page
):
    publish(tocsin_app, "Old news", count=2)
    old_page.goto(tocsin_server.url + "/notifications")
    bell = Bell(old_page)
    bell.wait_live()
    with old_page.expect_response(re.compile(r"/notifications/read-all$")) as answer:
        old_page.get_by_role("button", name="Mark all as read").click()
    assert answer.value.status == 200, answer.value.text()
    bell.expect_count(0)
