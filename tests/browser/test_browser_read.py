"""Issue step 5: reading one item (by following it or with its button), and "mark all"."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

UNREAD = re.compile(r"\bis-unread\b")


def test_clicking_an_item_marks_it_read_and_follows_its_url(
    tocsin, page, bell, login, console_errors
):
    other = tocsin.send("Stays unread")
    target = tocsin.send("Open me", url="/notifications")
    login(page)
    bell.expect_count(2)
    panel = bell.open_panel()
    panel.locator(f"#notification-{target} .tocsin-item-link").click()

    expect(page).to_have_url(tocsin.url + "/notifications")
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.locator(f"#notification-{target}")).not_to_have_class(UNREAD)
    expect(page.locator(f"#notification-{other}")).to_have_class(UNREAD)
    bell.expect_count(1)
    assert console_errors == []


def test_mark_read_button_reads_only_that_item(tocsin, page, bell, login, console_errors):
    first = tocsin.send("First")
    second = tocsin.send("Second")
    login(page)
    bell.open_panel()
    page.get_by_role("button", name="Mark as read: First").click()

    item = page.locator(f"#notification-{first}")
    expect(item).not_to_have_class(UNREAD)
    expect(item.get_by_role("button", name=re.compile("Mark as read"))).to_have_count(0)
    expect(page.locator(f"#notification-{second}")).to_have_class(UNREAD)
    bell.expect_count(1)
    expect(page).to_have_url(tocsin.url + "/")  # no navigation
    expect(bell.panel).to_be_visible()

    bell.mark_read(second)
    bell.expect_count(0)
    expect(bell.badge).to_be_hidden()
    assert console_errors == []


def test_mark_all_as_read_covers_what_was_shown(tocsin, page, login, open_panel, console_errors):
    before = [tocsin.send("Before 1"), tocsin.send("Before 2")]
    login(page)
    panel = open_panel(page)
    pushed = tocsin.send("Pushed into the open panel")  # shown live, so it counts as seen
    expect(panel.locator("#notification-list > li").first).to_have_id(f"notification-{pushed}")
    badge = page.locator("#notification-badge")
    expect(badge).to_have_attribute("data-count", "3")

    panel.get_by_role("button", name="Mark all as read").click()
    expect(badge).to_have_attribute("data-count", "0")
    expect(badge).to_be_hidden()
    expect(panel.locator(".tocsin-item.is-unread")).to_have_count(0)
    for nid in [*before, pushed]:
        expect(page.locator(f"#notification-{nid}")).not_to_have_class(UNREAD)

    later = tocsin.send("Published after the click")
    expect(page.locator(f"#notification-{later}")).to_have_class(UNREAD)
    expect(badge).to_have_attribute("data-count", "1")
    page.reload()  # and the server agrees
    expect(badge).to_have_attribute("data-count", "1")
    assert console_errors == []


def test_toast_click_marks_read_and_follows(tocsin, page, login, console_errors):
    login(page)
    nid = tocsin.send("Toast link", url="/notifications", priority="urgent")
    page.locator(f"#toast-{nid}").get_by_role("link").click()
    expect(page).to_have_url(tocsin.url + "/notifications")
    expect(page.locator(f"#notification-{nid}")).not_to_have_class(UNREAD)
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "0")
    assert console_errors == []
