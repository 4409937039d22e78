"""Issue 15, screen readers and keyboards: what is announced how, arrow keys in the lists,
focus kept through live re-renders, and reduced motion.

Announcements are read from Chromium's own accessibility tree (the DevTools protocol's
`Accessibility` domain): the politeness a screen reader is handed for a toast's text is
the live region Chromium computes for it, not an attribute this test looks for.
"""

import pytest
from playwright.sync_api import expect

from tocsin.testing import Bell

pytestmark = pytest.mark.browser


def politeness(page, selector: str) -> str | None:
    """The live region politeness Chromium gives the element (None: not in a live region)."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no element {selector}"
        tree = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": True})
        for ax in tree["nodes"]:
            if ax.get("backendDOMNodeId") is None or ax.get("ignored"):
                continue
            props = {p["name"]: p["value"].get("value") for p in ax.get("properties", [])}
            if "live" in props:
                return props["live"]
        return None
    finally:
        cdp.detach()


def test_toasts_are_polite_and_urgent_ones_assertive(tocsin, page, login, bell, console_errors):
    login(page)
    specs = [{"title": f"A {p} one", "priority": p} for p in ("normal", "high", "urgent")]
    normal, high, urgent = tocsin.create(*specs)
    for nid in (normal, high, urgent):
        expect(bell.toast(nid)).to_be_visible()
    expect(page.locator("#toast-stack")).to_have_attribute("aria-live", "polite")
    assert politeness(page, f"#toast-{normal} .tocsin-item-title") == "polite"
    assert politeness(page, f"#toast-{high} .tocsin-item-title") == "polite"
    assert politeness(page, f"#toast-{urgent} .tocsin-item-title") == "assertive"
    expect(bell.toast(urgent)).to_have_attribute("role", "alert")
    assert console_errors == []


def test_low_priority_items_are_said_while_the_panel_is_open(
    tocsin, page, login, bell, console_errors
):
    login(page)
    said = page.locator("#notification-panel-live")
    expect(said).to_have_attribute("aria-live", "polite")
    bell.open_panel()
    (low,) = tocsin.create({"title": "Ada liked your post", "type": "like", "priority": "low"})
    expect(bell.item(low)).to_be_visible()
    expect(bell.toast(low)).to_have_count(0)  # low never toasts
    expect(said).to_have_text("New: Ada liked your post")
    assert politeness(page, "#notification-panel-live") == "polite"
    # A toasted one is said by the toast stack, not twice.
    (normal,) = tocsin.create({"title": "A normal one"})
    expect(bell.toast(normal)).to_be_visible()
    expect(bell.item(normal)).to_be_visible()
    expect(said).to_have_text("New: Ada liked your post")
    # The panel closed: nothing is said.
    bell.close_panel()
    (quiet,) = tocsin.create({"title": "Bob liked it too", "type": "like", "priority": "low"})
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "3")
    expect(said).to_have_text("New: Ada liked your post")
    assert console_errors == []


def test_arrow_keys_move_between_the_rows_and_tab_keeps_its_order(
    tocsin, page, login, bell, console_errors
):
    oldest, middle, newest = tocsin.create({"title": "One"}, {"title": "Two"}, {"title": "Three"})
    login(page)
    panel = bell.open_panel()
    expect(panel).to_be_focused()

    def link(nid):
        return page.locator(f"#notification-{nid} .tocsin-item-link")

    page.keyboard.press("ArrowDown")  # from the panel into its list
    expect(link(newest)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(link(middle)).to_be_focused()
    page.keyboard.press("End")
    expect(link(oldest)).to_be_focused()
    page.keyboard.press("ArrowDown")  # stays on the last
    expect(link(oldest)).to_be_focused()
    page.keyboard.press("Home")
    expect(link(newest)).to_be_focused()
    page.keyboard.press("ArrowUp")  # stays on the first
    expect(link(newest)).to_be_focused()
    # From a row's button, too; Tab still goes from the link to the row's own buttons.
    page.get_by_role("button", name="Archive: Two").focus()
    page.keyboard.press("ArrowUp")
    expect(link(newest)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Mark as read: Three")).to_be_focused()

    # The inbox list answers the same keys.
    page.goto(tocsin.url + "/notifications")
    page.locator(f"#notification-{newest} .tocsin-item-link").focus()
    page.keyboard.press("ArrowDown")
    expect(link(middle)).to_be_focused()
    page.keyboard.press("End")
    expect(link(oldest)).to_be_focused()
    assert console_errors == []


def test_focus_survives_live_re_renders(tocsin, page, new_page, login, bell, live, console_errors):
    first, second, third = tocsin.create(
        {"title": "First"}, {"title": "Second"}, {"title": "Third"}
    )
    login(page)
    other = new_page()  # the same user in another tab
    other.goto(tocsin.url + "/")
    live(other)
    bell.open_panel()

    # A row read in another tab is re-rendered here: its "Mark as read" becomes "Mark as
    # unread", and the focus is on it.
    page.get_by_role("button", name="Mark as read: Second").focus()
    Bell(other).mark_read(second)
    expect(page.locator(f"#notification-{second}")).not_to_have_class("is-unread")
    expect(page.get_by_role("button", name="Mark as unread: Second")).to_be_focused()

    # Of two buttons alike (Accept, Decline), the same one.
    (ask,) = tocsin.create({"title": "Be friends?", "type": "friend_request", "actor": "Bob"})
    decline = page.get_by_role("button", name="Decline friend request from Bob")
    decline.focus()
    Bell(other).mark_read(ask)
    expect(page.locator(f"#notification-{ask}")).not_to_have_class("is-unread")
    expect(decline).to_be_focused()

    # Archived in another tab: the row goes; its neighbour's same button takes the focus.
    page.get_by_role("button", name="Archive: Second").focus()
    other.get_by_role("button", name="Archive: Second").click()
    expect(page.locator(f"#notification-{second}")).to_have_count(0)
    expect(page.get_by_role("button", name="Archive: First")).to_be_focused()

    # A panel refresh (as "+N more" asks for while it is open): the same row's link.
    page.locator(f"#notification-{third} .tocsin-item-link").focus()
    with page.expect_response(lambda r: "/notifications/panel" in r.url):
        page.evaluate("htmx.trigger('#notification-bell-button', 'tocsin:open')")
    expect(page.locator(f"#notification-{third} .tocsin-item-link")).to_be_focused()

    # A grouped row that grows moves to the top, re-rendered: the focus goes with it.
    group = {"group_key": "roadmap", "actor": "Ada"}
    (grouped,) = tocsin.create({"title": "Roadmap", **group})
    page.locator(f"#notification-{grouped} .tocsin-item-link").focus()
    tocsin.create({"title": "Roadmap", **{**group, "actor": "Bob"}})
    expect(bell.item(grouped)).to_have_attribute("data-group-count", "2")
    expect(page.locator(f"#notification-{grouped} .tocsin-item-link")).to_be_focused()

    # The snapshot after a reconnect replaces the list: the focus stays on the same link.
    page.locator(f"#notification-{first} .tocsin-item-link").focus()
    snapshots = bell.snapshots()
    assert console_errors == []  # the restart's failed sockets are logged from here on
    tocsin.server.stop()
    expect(page.locator("#connection-status")).not_to_have_attribute("data-state", "connected")
    tocsin.server.start()
    live(page, after=snapshots)
    expect(page.locator(f"#notification-{first} .tocsin-item-link")).to_be_focused()

    # A toast dismissed: the next toast's dismiss button, never <body>.
    urgent = [{"title": f"Alarm {i}", "priority": "urgent"} for i in (1, 2)]
    one, two = tocsin.create(*urgent)
    expect(bell.toast(two)).to_be_visible()
    bell.toast(one).get_by_role("button").focus()
    page.keyboard.press("Enter")
    expect(bell.toast(one)).to_have_count(0)
    expect(bell.toast(two).get_by_role("button")).to_be_focused()
    assert page.evaluate("document.activeElement !== document.body")


MOVING = """
() => Array.from(document.querySelectorAll('*')).flatMap((el) => {
  const out = [];
  for (const pseudo of [null, '::before', '::after']) {
    const s = getComputedStyle(el, pseudo);
    const moves = s.animationName !== 'none' ||
      s.transitionDuration.split(',').some((d) => parseFloat(d) > 0);
    const name = el.id ? '#' + el.id : el.tagName + '.' + el.className;
    if (moves) { out.push(name + (pseudo || '')); }
  }
  return out;
})
"""


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_reduced_motion_moves_nothing(tocsin, page, login, bell, console_errors, motion):
    page.emulate_media(reduced_motion=motion)
    tocsin.create({"title": "Row"})
    login(page)
    (nid,) = tocsin.create({"title": "Alarm", "priority": "urgent"})
    expect(bell.toast(nid)).to_be_visible()
    bell.open_panel()
    moving = page.evaluate(MOVING)
    if motion == "reduce":
        assert moving == []
        page.goto(tocsin.url + "/notifications")
        assert page.evaluate(MOVING) == []
        page.goto(tocsin.url + "/notifications/preferences")
        assert page.evaluate(MOVING) == []
    else:
        assert f"#toast-{nid}" in moving  # the measure sees the slide-in when allowed
    assert console_errors == []
