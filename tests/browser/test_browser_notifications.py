"""Browser notifications (Notification API): one tab shows it when every tab is hidden.

Headless Chromium shows no notifications and reports every page as visible, so an init
script records `new Notification(...)` calls in `window.__notifications` (window.Notification
replaced by a recorder) and another makes a page say it is hidden until told otherwise.
"""

import re

import pytest
from playwright.sync_api import expect

from app import users
from tests.support import wait_until
from tocsin import state
from tocsin.extensions import db

pytestmark = pytest.mark.browser

#: Records notifications and permission requests; the permission is the browser's.
RECORDER = """
(() => {
  const Real = window.Notification;
  const shown = [];
  function Recorder(title, options) {
    this.title = title; this.options = options || {}; this.closed = false; shown.push(this);
  }
  Recorder.prototype.close = function () { this.closed = true; };
  Object.defineProperty(Recorder, 'permission', { get: () => Real.permission });
  Recorder.requestPermission = function (callback) {
    window.__asked = (window.__asked || 0) + 1;
    const asked = Real.requestPermission();
    if (callback) { asked.then(callback); }
    return asked;
  };
  window.Notification = Recorder;
  window.__notifications = shown;
})();
"""
#: The page says it is hidden while `window.__hidden` (SHOW and HIDE change it).
VISIBILITY = """
window.__hidden = %s;
Object.defineProperty(Document.prototype, 'visibilityState', {
  configurable: true, get() { return window.__hidden ? 'hidden' : 'visible'; } });
Object.defineProperty(Document.prototype, 'hidden', {
  configurable: true, get() { return !!window.__hidden; } });
"""
SHOW = "window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))"
HIDE = "window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'))"
DECIDED = re.compile(r"^(shown|elsewhere|visible)$")


@pytest.fixture
def granted(context, tocsin):
    context.grant_permissions(["notifications"], origin=tocsin.url)
    context.add_init_script(RECORDER)
    return context


@pytest.fixture
def tabs(granted, new_page, login, live, tocsin):
    """Open alice's tabs, hidden or not, all logged in and live."""

    def tabs(*hidden: bool) -> list:
        pages = []
        for i, is_hidden in enumerate(hidden):
            page = new_page()
            page.add_init_script(VISIBILITY % ("true" if is_hidden else "false"))
            if i == 0:
                login(page)
            else:
                page.goto(tocsin.url + "/")
                live(page)
            pages.append(page)
        return pages

    return tabs


def notes(page) -> list[dict]:
    return page.evaluate(
        "window.__notifications.map(n => ({title: n.title, tag: n.options.tag,"
        " body: n.options.body, requireInteraction: !!n.options.requireInteraction}))"
    )


def decided(pages, nid: int) -> None:
    for page in pages:
        toast = page.locator(f"#toast-{nid}")
        expect(toast).to_have_attribute("data-browser-state", DECIDED)


def test_two_hidden_tabs_show_exactly_one_notification(tabs, tocsin, console_errors):
    pages = tabs(True, True)
    nid = tocsin.send("Deploy done", body="All green")
    decided(pages, nid)
    shown = [n for page in pages for n in notes(page)]
    assert shown == [
        {"title": "Deploy done", "tag": str(nid), "body": "All green", "requireInteraction": False}
    ]
    urgent = tocsin.send("Server down", priority="urgent")
    decided(pages, urgent)
    shown = [n for page in pages for n in notes(page) if n["tag"] == str(urgent)]
    assert len(shown) == 1 and shown[0]["requireInteraction"] is True
    assert console_errors == []


def test_a_visible_tab_shows_the_toast_and_no_notification(tabs, tocsin, console_errors):
    visible, hidden = tabs(False, True)
    nid = tocsin.send("You look at it")
    expect(visible.locator(f"#toast-{nid}")).to_be_visible()
    decided([visible, hidden], nid)
    assert notes(visible) == [] and notes(hidden) == []
    # Once that tab is hidden too, the next one is shown by a browser notification.
    visible.evaluate(HIDE)
    later = tocsin.send("Now nobody looks")
    decided([visible, hidden], later)
    assert len(notes(visible) + notes(hidden)) == 1
    assert console_errors == []


def test_a_type_muted_on_browser_shows_none(tabs, tocsin, console_errors):
    (page,) = tabs(True)
    page.goto(tocsin.url + "/notifications/preferences")
    page.locator('input[name="pref.comment.browser"]').uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#notification-preferences .tocsin-prefs-saved")).to_be_visible()
    muted = tocsin.send("Muted on browser")
    expect(page.locator(f"#toast-{muted}")).to_have_count(1)
    expect(page.locator(f"#toast-{muted}")).not_to_have_attribute("data-browser", "")
    # The mention type still has browser on: its notification arrives after the muted one.
    later = tocsin.send("A mention", type_="mention")
    decided([page], later)
    assert [n["tag"] for n in notes(page)] == [str(later)]
    assert console_errors == []


def test_clicking_it_marks_it_read_and_opens_the_inbox(tabs, tocsin, console_errors):
    pages = tabs(True, True)
    nid = tocsin.send("Click me")
    decided(pages, nid)
    (clicked,) = [page for page in pages if notes(page)]
    (other,) = [page for page in pages if page is not clicked]
    expect(other.locator("#notification-badge")).to_have_attribute("data-count", "1")
    clicked.evaluate("window.__notifications[0].onclick(new Event('click'))")
    expect(other.locator("#notification-badge")).to_have_attribute("data-count", "0")
    expect(clicked).to_have_url(tocsin.url + "/notifications")
    assert clicked.evaluate("window.__notifications.length") == 0  # a fresh page
    assert console_errors == []


def test_the_socket_tells_the_server_whether_the_tab_is_visible(tabs, tocsin):
    (page,) = tabs(True)

    def tabs_on_server() -> list[bool]:
        with tocsin.app_context() as app:
            return state.of(app).presence.tabs(users.by_username(db.session, "alice").id)

    wait_until(lambda: tabs_on_server() == [False], what="the hidden tab on the server")
    page.evaluate(SHOW)
    wait_until(lambda: tabs_on_server() == [True], what="the visible tab on the server")


def test_permission_is_asked_only_on_the_buttons_click(context, new_page, login, tocsin):
    context.add_init_script(RECORDER)
    page = new_page()
    login(page)
    page.goto(tocsin.url + "/notifications/preferences")
    status = page.locator("#notification-browser-permission")
    expect(status).to_have_attribute("data-permission", "default")
    expect(status).to_have_text("This browser has not been asked yet.")
    assert page.evaluate("window.__asked || 0") == 0
    page.get_by_role("button", name="Turn on browser notifications").click()
    expect(status).to_have_attribute("data-permission", re.compile("^(granted|denied)$"))
    assert page.evaluate("window.__asked") == 1


def test_the_opt_in_says_when_the_browser_has_no_notifications(context, new_page, login, tocsin):
    context.add_init_script("delete window.Notification")
    page = new_page()
    login(page)
    page.goto(tocsin.url + "/notifications/preferences")
    status = page.locator("#notification-browser-permission")
    expect(status).to_have_attribute("data-permission", "unsupported")
    expect(page.get_by_role("button", name="Turn on browser notifications")).to_be_hidden()


def test_granted_shows_on_and_hides_the_button(granted, new_page, login, tocsin):
    page = new_page()
    login(page)
    page.goto(tocsin.url + "/notifications/preferences")
    expect(page.locator("#notification-browser-permission")).to_have_attribute(
        "data-permission", "granted"
    )
    expect(page.get_by_role("button", name="Turn on browser notifications")).to_be_hidden()
