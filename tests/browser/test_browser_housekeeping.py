"""Issue 12, housekeeping: archive, delete and mark all read in one tab, undone from its
toast; the user's other tab follows each step live, badge included."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

UNREAD = re.compile(r"\bis-unread\b")


@pytest.fixture
def two_tabs(tocsin, page, new_page, login, live, open_panel):
    """Alice's demo page with the panel open, and her inbox page in a second tab."""
    login(page)
    inbox = new_page()
    inbox.goto(tocsin.url + "/notifications")
    live(inbox)
    open_panel(page)
    return page, inbox


def listed(tab) -> list[str]:
    return tab.locator("#notification-list > li").evaluate_all("els => els.map(e => e.id)")


def expect_listed(tab, ids: list[int]) -> None:
    expect(tab.locator("#notification-list > li")).to_have_count(len(ids))
    assert listed(tab) == [f"notification-{i}" for i in ids]


def expect_badge(tabs, count: int) -> None:
    for tab in tabs:
        expect(tab.locator("#notification-badge")).to_have_attribute("data-count", str(count))


def test_archive_leaves_both_tabs_and_undo_brings_it_back(tocsin, two_tabs, console_errors):
    keep, tidy, newest = tocsin.create({"title": "Keep"}, {"title": "Tidy"}, {"title": "Newest"})
    page, inbox = two_tabs
    for tab in two_tabs:
        expect_listed(tab, [newest, tidy, keep])
    expect_badge(two_tabs, 3)

    page.get_by_role("button", name="Archive: Tidy").click()
    for tab in two_tabs:
        expect(tab.locator(f"#notification-{tidy}")).to_have_count(0)
    expect_badge(two_tabs, 2)
    toast = page.locator(".tocsin-toast-undo")
    expect(toast).to_have_text(re.compile(r"Archived 1 notification\."))
    expect(toast).to_have_attribute("role", "status")
    expect(inbox.locator(".tocsin-toast-undo")).to_have_count(0)  # the acting tab's alone

    toast.get_by_role("button", name="Undo", exact=True).click()
    expect(toast).to_have_count(0)
    for tab in two_tabs:
        expect(tab.locator(f"#notification-{tidy}")).to_have_class(UNREAD)
        expect_listed(tab, [newest, tidy, keep])  # in its place, not on top
    expect_badge(two_tabs, 3)
    assert console_errors == []


def test_delete_and_undo_from_the_inbox_page(tocsin, two_tabs, console_errors):
    first, second = tocsin.create({"title": "First"}, {"title": "Second"})
    page, inbox = two_tabs
    inbox.get_by_role("button", name="Mark as read: First").click()
    expect_badge(two_tabs, 1)

    # The row's buttons show on hover or focus; a keyboard reaches them.
    delete = inbox.get_by_role("button", name="Delete: First")
    delete.focus()
    expect(delete).to_be_focused()
    inbox.keyboard.press("Enter")
    for tab in two_tabs:
        expect(tab.locator(f"#notification-{first}")).to_have_count(0)
        expect_listed(tab, [second])
    expect_badge(two_tabs, 1)
    toast = inbox.locator(".tocsin-toast-undo")
    expect(toast).to_have_text(re.compile(r"Deleted 1 notification\."))

    undo = toast.get_by_role("button", name="Undo", exact=True)
    undo.focus()  # focus holds the toast, as hovering does
    expect(toast).to_have_attribute("data-paused", "")
    inbox.keyboard.press("Enter")
    expect(toast).to_have_count(0)
    for tab in two_tabs:
        expect_listed(tab, [second, first])
        expect(tab.locator(f"#notification-{first}")).not_to_have_class(UNREAD)  # as it was
    expect_badge(two_tabs, 1)
    assert console_errors == []


def test_mark_all_read_and_undo(tocsin, two_tabs, console_errors):
    ids = tocsin.create({"title": "One"}, {"title": "Two"}, {"title": "Three"})
    page, inbox = two_tabs
    page.get_by_role("button", name="Mark as read: Two").click()
    expect_badge(two_tabs, 2)

    page.get_by_role("button", name="Mark all as read").click()
    expect_badge(two_tabs, 0)
    for tab in two_tabs:
        expect(tab.locator("#notification-list > li.is-unread")).to_have_count(0)
    toast = page.locator(".tocsin-toast-undo")
    expect(toast).to_have_text(re.compile(r"Marked 2 notifications as read\."))

    toast.get_by_role("button", name="Undo", exact=True).click()
    expect(toast).to_have_count(0)
    expect_badge(two_tabs, 2)
    for tab in two_tabs:
        expect(tab.locator(f"#notification-{ids[0]}")).to_have_class(UNREAD)
        expect(tab.locator(f"#notification-{ids[1]}")).not_to_have_class(UNREAD)  # read before
        expect(tab.locator(f"#notification-{ids[2]}")).to_have_class(UNREAD)
    assert console_errors == []


def test_mark_unread_and_the_toast_of_an_archived_row_goes(tocsin, two_tabs, console_errors):
    page, inbox = two_tabs
    (nid,) = tocsin.create({"title": "Ping", "priority": "high"})
    expect(page.locator(f"#toast-{nid}")).to_be_visible()
    inbox.get_by_role("button", name="Mark as read: Ping").click()
    expect_badge(two_tabs, 0)
    inbox.get_by_role("button", name="Mark as unread: Ping").click()
    expect_badge(two_tabs, 1)
    expect(page.locator(f"#notification-{nid}")).to_have_class(UNREAD)
    inbox.get_by_role("button", name="Archive: Ping").click()
    expect(page.locator(f"#toast-{nid}")).to_have_count(0)  # its toast closes too
    expect(page.locator(f"#notification-{nid}")).to_have_count(0)
    expect_badge(two_tabs, 0)
    assert console_errors == []


def test_without_javascript_archive_comes_back_with_an_undo(tocsin, browser):
    keep, tidy = tocsin.create({"title": "Keep"}, {"title": "Tidy"})
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(tocsin.url + "/login")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("tocsin")
        page.get_by_role("button", name="Log in").click()
        page.goto(tocsin.url + "/notifications")
        page.get_by_role("button", name="Archive: Tidy").click()
        expect(page).to_have_url(tocsin.url + "/notifications")  # the 303 back
        expect(page.locator(f"#notification-{tidy}")).to_have_count(0)
        expect(page.locator("#notification-badge")).to_have_attribute("data-count", "1")
        toast = page.locator(".tocsin-toast-undo")
        expect(toast).to_have_text(re.compile(r"Archived 1 notification\."))
        toast.get_by_role("button", name="Undo", exact=True).click()
        expect(page).to_have_url(tocsin.url + "/notifications")
        expect(page.locator(".tocsin-toast-undo")).to_have_count(0)
        assert listed(page) == [f"notification-{tidy}", f"notification-{keep}"]
        expect(page.locator("#notification-badge")).to_have_attribute("data-count", "2")
    finally:
        context.close()


def test_a_keyboard_user_archiving_keeps_their_place(tocsin, two_tabs, console_errors):
    older, newer = tocsin.create({"title": "Older"}, {"title": "Newer"})
    page, inbox = two_tabs
    archive = inbox.get_by_role("button", name="Archive: Newer")
    archive.focus()
    inbox.keyboard.press("Enter")
    expect(inbox.locator(f"#notification-{newer}")).to_have_count(0)
    # Focus moved to the same button of the next row, not to the page's start.
    expect(inbox.get_by_role("button", name="Archive: Older")).to_be_focused()
    inbox.keyboard.press("Enter")
    expect(inbox.locator(f"#notification-{older}")).to_have_count(0)
    expect(inbox.locator("#tocsin-inbox-title")).to_be_focused()  # the list is empty
    expect_badge(two_tabs, 0)
    assert console_errors == []
