"""Issue 4, item 3: a type's action buttons, answered in one tab and seen in every tab."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

UNREAD = re.compile(r"\bis-unread\b")
FRIEND_REQUEST = {"type": "friend_request", "title": "Let's be friends", "actor": "bob"}


def test_accepting_a_live_friend_request_updates_both_tabs(
    tocsin, page, new_page, login, live, open_panel, console_errors
):
    login(page)
    other = new_page()  # same context: the same logged-in session, a second tab
    other.goto(tocsin.url + "/")
    live(other)
    panel = open_panel(page)
    other_panel = open_panel(other)

    (nid,) = tocsin.create(FRIEND_REQUEST)
    item = panel.locator(f"#notification-{nid}")
    expect(item).to_contain_text("Friend request from bob: Let's be friends")
    accept = item.get_by_role("button", name="Accept friend request from bob")
    expect(accept).to_be_visible()
    other_item = other_panel.locator(f"#notification-{nid}")
    expect(other_item.get_by_role("button", name="Decline friend request from bob")).to_be_visible()
    expect(other.locator("#notification-badge")).to_have_attribute("data-count", "1")

    accept.click()
    for tab_item, tab in ((item, page), (other_item, other)):
        expect(tab_item.locator(".tocsin-item-outcome")).to_have_text("Accepted")
        expect(tab_item.locator(".tocsin-action")).to_have_count(0)  # no answers
        expect(tab_item.get_by_role("button", name=re.compile("Mark as read"))).to_have_count(0)
        expect(tab_item).not_to_have_class(UNREAD)
        expect(tab.locator("#notification-badge")).to_have_attribute("data-count", "0")
    expect(page).to_have_url(tocsin.url + "/")  # no navigation
    expect(panel).to_be_visible()

    page.reload()  # and the server agrees
    expect(open_panel(page).locator(f"#notification-{nid} .tocsin-item-outcome")).to_have_text(
        "Accepted"
    )
    assert console_errors == []


def test_declining_on_the_inbox_page_by_keyboard(tocsin, page, login, console_errors):
    (nid,) = tocsin.create(FRIEND_REQUEST)
    login(page)
    page.goto(tocsin.url + "/notifications")
    decline = page.get_by_role("button", name="Decline friend request from bob")
    decline.focus()
    page.keyboard.press("Enter")
    item = page.locator(f"#notification-{nid}")
    expect(item.locator(".tocsin-item-outcome")).to_have_text("Declined")
    expect(item.get_by_role("button", name=re.compile("friend request"))).to_have_count(0)
    expect(page).to_have_url(tocsin.url + "/notifications")
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "0")
    assert console_errors == []
