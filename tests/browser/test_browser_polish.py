"""Issue 15's polish, as a new user finds it: the panel inside the screen, dark mode, no
JavaScript, "Mark all as read" only when useful, the favicon, toasts aligned, a toast
closed when read in another tab, and one toast for what came while offline."""

import re

import pytest
from playwright.sync_api import expect

from app import users
from tests.browser.conftest import PASSWORD, wait_live
from tocsin.extensions import db
from tocsin.notifications import service
from tocsin.testing import Bell

pytestmark = pytest.mark.browser

LONG_TITLE = "A very long title " * 6 + "WithAWordThatHasNoPlaceToBreakAtAllXXXXXXXXXXXXXXXXXXXX"
PHONE, DESKTOP = (390, 844), (1280, 800)


@pytest.fixture
def sized(new_context):
    """Open a context of a viewport and colour scheme (and JavaScript on or off)."""

    def sized(size=DESKTOP, scheme="light", javascript=True):
        width, height = size
        return new_context(
            viewport={"width": width, "height": height},
            color_scheme=scheme,
            java_script_enabled=javascript,
        )

    return sized


def log_in(page, url: str, username: str = "alice", live: bool = True) -> None:
    page.goto(url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(url + "/")
    if live:
        wait_live(page)


def assert_inside(box, width: int) -> None:
    assert box is not None
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= width, box


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_panel_stays_inside_the_viewport(tocsin, sized, size):
    tocsin.send(LONG_TITLE, body="x" * 300)
    tocsin.send("Short")
    page = sized(size).new_page()
    log_in(page, tocsin.url)
    for path in ("/", "/notifications/preferences"):
        page.goto(tocsin.url + path)
        wait_live(page)
        panel = Bell(page).open_panel()
        expect(panel.locator(".tocsin-item-title", has_text="NoPlaceToBreak")).to_be_visible()
        assert_inside(panel.bounding_box(), size[0])
        if size == PHONE:  # a sheet: the screen's width but a small margin each side
            assert panel.bounding_box()["width"] >= size[0] - 32
        else:  # a dropdown under the bell
            assert panel.bounding_box()["width"] < size[0] / 2
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    # The inbox has no panel (its bell is a link to itself); nothing runs off the side.
    page.goto(tocsin.url + "/notifications")
    wait_live(page)
    assert_inside(page.locator("#notification-bell-button").bounding_box(), size[0])
    assert_inside(page.locator(".tocsin-inbox").bounding_box(), size[0])
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]


# Dark mode: each surface's background is dark and its text light (axe judges the contrast).
LUMINANCE = """(el) => {
  function lum(css) {
    const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  // The first ancestor with a background of its own is what the text sits on.
  let bg = el;
  while (bg && /rgba\\(0, 0, 0, 0\\)|transparent/.test(getComputedStyle(bg).backgroundColor)) {
    bg = bg.parentElement;
  }
  const back = bg ? getComputedStyle(bg).backgroundColor : 'rgb(255, 255, 255)';
  return [lum(back), lum(getComputedStyle(el).color)];
}"""
DARK_BACK, LIGHT_TEXT = 0.1, 0.5


def assert_dark(locator, what: str) -> None:
    back, text = locator.evaluate(LUMINANCE)
    assert back < DARK_BACK and text > LIGHT_TEXT, (what, back, text)


def test_dark_mode_covers_every_surface(tocsin, sized):
    tocsin.send("Dark normal")
    urgent = tocsin.send("Dark urgent", priority="urgent")
    page = sized(PHONE, "dark").new_page()
    page.goto(tocsin.url + "/login")
    assert_dark(page.locator("body"), "login page")
    assert_dark(page.get_by_label("Username"), "login field")
    log_in(page, tocsin.url)
    assert_dark(page.locator(".site-header .brand"), "header")
    assert_dark(page.locator("main h1"), "demo page")
    normal = tocsin.send("Dark live toast")
    assert_dark(page.locator(f"#toast-{normal} .tocsin-item-title"), "toast")
    panel = Bell(page).open_panel()
    assert_dark(panel.locator(".tocsin-heading"), "panel heading")
    assert_dark(panel.locator(f"#notification-{urgent} .tocsin-item-title"), "panel item")
    assert_dark(panel.get_by_role("button", name="Mark all as read"), "panel button")
    page.goto(tocsin.url + "/notifications?q=Dark")
    wait_live(page)
    assert_dark(page.locator(".tocsin-inbox .tocsin-heading").first, "inbox heading")
    assert_dark(page.locator(f"#notification-{urgent} .tocsin-item-title"), "inbox item")
    assert_dark(page.locator("#notification-search"), "search field")
    page.goto(tocsin.url + "/notifications/preferences")
    assert_dark(page.locator(".tocsin-prefs-group legend").first, "preferences")
    assert_dark(page.locator(".tocsin-prefs-table tbody th").first, "preferences table")


@pytest.mark.parametrize("extra_env", [{"TOCSIN_LAYOUT": "tocsin/layout.html"}])
def test_dark_mode_in_tocsins_own_layout(tocsin, sized):
    """The frame of a host that names no layout: it was white, serif, with light controls."""
    tocsin.send("In the default layout")
    page = sized(PHONE, "dark").new_page()
    log_in(page, tocsin.url)
    page.goto(tocsin.url + "/notifications")
    wait_live(page)
    assert_dark(page.locator("body"), "layout page")
    assert_dark(page.locator(".tocsin-inbox .tocsin-item-title"), "inbox item")
    font = page.locator(".tocsin-inbox .tocsin-item-title").evaluate(
        "e => getComputedStyle(e).fontFamily"
    )
    assert "serif" not in font.replace("sans-serif", ""), font
    page.goto(tocsin.url + "/notifications/preferences")
    box = page.locator(".tocsin-prefs-table input[type=checkbox]").first
    assert box.evaluate("e => getComputedStyle(e).colorScheme") in ("dark", "light dark")


def test_without_javascript_the_bell_is_a_link_and_no_indicator_shows(tocsin, sized):
    nid = tocsin.send("Read me without JavaScript")
    page = sized(javascript=False).new_page()
    log_in(page, tocsin.url, live=False)
    expect(page.locator("#connection-status")).to_be_hidden()
    expect(page.get_by_text("Connecting…")).to_be_hidden()
    bell = page.get_by_role("link", name="Notifications", exact=True)
    expect(bell).to_have_attribute("id", "notification-bell-button")
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "1")
    bell.click()
    expect(page).to_have_url(tocsin.url + "/notifications")
    expect(page.locator(f"#notification-{nid}")).to_contain_text("Read me without JavaScript")


def test_with_javascript_the_bell_is_the_panels_button(tocsin, page, login):
    login(page)
    bell = page.get_by_role("button", name="Notifications", exact=True)
    expect(bell).to_have_attribute("aria-expanded", "false")
    assert bell.evaluate("b => b.tagName") == "BUTTON" and bell.get_attribute("href") is None
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_have_count(0)
    expect(page.locator("#connection-status")).to_have_text("Live")
    bell.click()
    expect(bell).to_have_attribute("aria-expanded", "true")
    expect(page).to_have_url(tocsin.url + "/")


def test_mark_all_as_read_shows_only_while_something_is_unread(
    tocsin, page, new_page, login, console_errors
):
    login(page)
    panel = Bell(page).open_panel()
    read_all = panel.get_by_role("button", name="Mark all as read")
    expect(panel.get_by_text("You're all caught up.")).to_be_visible()
    expect(read_all).to_be_hidden()

    nid = tocsin.send("Something to read")  # a push fills the list: it appears
    expect(panel.locator(f"#notification-{nid}")).to_be_visible()
    expect(read_all).to_be_visible()

    other = new_page()  # the last unread read in another tab: it goes
    other.goto(tocsin.url + "/")
    wait_live(other)
    Bell(other).mark_read(nid)
    expect(panel.locator(f"#notification-{nid}")).not_to_have_class(re.compile(r"is-unread"))
    expect(read_all).to_be_hidden()
    assert console_errors == []


def test_no_favicon_404(tocsin, page, login, console_errors):
    login(page)
    response = page.request.get(tocsin.url + "/favicon.ico")
    assert response.ok and response.headers["content-type"] == "image/vnd.microsoft.icon"
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(tocsin.url + icon).ok
    assert console_errors == []


def test_toasts_of_every_priority_line_up(tocsin, page, login):
    login(page)
    boxes, icons, titles = [], [], []
    # Each measured as it arrives: a normal toast is gone after 5 s, but the stack's edge,
    # where every toast starts, stays put.
    for priority in ("normal", "high", "urgent"):
        toast = page.locator(f"#toast-{tocsin.send(f'Aligned {priority}', priority=priority)}")
        expect(toast).to_be_visible()
        boxes.append(toast.bounding_box())
        icons.append(toast.locator(".tocsin-type-icon").bounding_box())
        titles.append(toast.locator(".tocsin-item-title").bounding_box())
    assert len({(b["x"], b["width"]) for b in boxes}) == 1, boxes
    assert len({i["x"] for i in icons}) == 1, icons
    assert len({t["x"] for t in titles}) == 1, titles


def test_a_toast_read_in_one_tab_closes_in_the_others(tocsin, page, new_page, login):
    login(page)
    other = new_page()
    other.goto(tocsin.url + "/")
    wait_live(other)
    # Urgent: its toast stays until closed, so only the read can close it.
    nid = tocsin.send("Read me in one tab", priority="urgent")
    expect(page.locator(f"#toast-{nid}")).to_be_visible()
    expect(other.locator(f"#toast-{nid}")).to_be_visible()
    requests = []
    other.on("request", lambda r: requests.append(r.url))

    Bell(page).mark_read(nid)
    expect(other.locator(f"#toast-{nid}")).to_have_count(0)
    expect(page.locator(f"#toast-{nid}")).to_have_count(0)
    expect(other.locator(f"#notification-{nid}")).to_have_count(0)  # panel never opened
    assert requests == []  # the push did it, no request of its own

    # A later notification still toasts in that tab.
    later = tocsin.send("Still toasted", priority="urgent")
    expect(other.locator(f"#toast-{later}")).to_be_visible()


def test_a_toast_read_while_its_tab_was_offline_closes_on_reconnect(
    tocsin, page, bell, login, live
):
    login(page)
    nid = tocsin.send("Read elsewhere meanwhile", priority="urgent")
    expect(page.locator(f"#toast-{nid}")).to_be_visible()
    snapshots = bell.snapshots()
    tocsin.server.stop()
    with tocsin.app_context():  # read on another device while this tab had no server
        service.mark_read(db.session, users.by_username(db.session, "alice").id, nid)
    tocsin.server.start()
    live(page, timeout=20_000, after=snapshots)
    expect(page.locator(f"#toast-{nid}")).to_have_count(0)


def test_one_toast_for_what_came_while_offline(tocsin, page, bell, login, live):
    tocsin.send("Seen before")
    login(page)
    snapshots = bell.snapshots()
    tocsin.server.stop()
    expect(page.locator("#connection-status")).to_have_attribute(
        "data-state", re.compile("^(reconnecting|offline)$")
    )
    tocsin.create_many(5, title="Offline")
    tocsin.server.start()
    live(page, timeout=20_000, after=snapshots)
    toasts = page.locator("#toast-stack .tocsin-toast")
    expect(toasts).to_have_count(1)
    expect(toasts).to_have_text("5 new notifications while you were offline")
    expect(toasts).to_have_attribute("data-count", "5")
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "6")
