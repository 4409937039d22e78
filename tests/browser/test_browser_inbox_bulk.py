"""Issue 12: bulk actions and shortcuts on the inbox page, with htmx and as a plain form."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS
from tocsin.testing import Bell

pytestmark = pytest.mark.browser

UNREAD = re.compile(r"\bis-unread\b")
CURRENT = re.compile(r"\btocsin-current\b")


def open_inbox(page, tocsin, state: str = "") -> None:
    page.goto(tocsin.url + "/notifications" + (f"?state={state}" if state else ""))
    # Ready for shortcuts once tocsin.js has shown its button (the bulk bar hides on an
    # empty list, "select all" with it).
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_visible()
    Bell(page).wait_live()


def box(page, title: str):
    return page.get_by_label(f"Select {title}", exact=True)


def status(page):
    return page.locator("#notification-inbox-status")


def test_bulk_archive_removes_the_rows_and_counts_right(tocsin, page, login, bell, console_errors):
    tocsin.create_many(4, "Row")
    login(page)
    open_inbox(page, tocsin)
    bell.expect_count(4)
    box(page, "Row 4").click()
    box(page, "Row 2").click(modifiers=["Shift"])
    page.get_by_role("button", name="Archive", exact=True).click()

    rows = page.locator("#notification-list > .tocsin-item")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Row 1")
    bell.expect_count(1)  # archived => read
    expect(page.locator("#notification-bulk-count")).to_have_text("None selected")
    expect(page.get_by_role("button", name="Archive", exact=True)).to_be_disabled()
    expect(status(page)).to_have_text("Archived 3 notifications.")
    expect(page.locator("#toast-stack")).to_contain_text("Undo")

    page.get_by_role("link", name="Archived").click()
    expect(page.locator("#notification-list-archived > .tocsin-item")).to_have_count(3)
    assert console_errors == []


def test_bulk_read_and_unread_re_render_in_place(tocsin, page, login, bell, console_errors):
    first, second = tocsin.create({"title": "First"}, {"title": "Second"})
    login(page)
    open_inbox(page, tocsin)
    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name="Mark read").click()
    bell.expect_count(0)
    for nid in (first, second):
        expect(page.locator(f"#notification-{nid}")).not_to_have_class(UNREAD)
    box(page, "First").click()
    page.get_by_role("button", name="Mark unread").click()
    bell.expect_count(1)
    expect(page.locator(f"#notification-{first}")).to_have_class(UNREAD)
    expect(page.locator(f"#notification-{second}")).not_to_have_class(UNREAD)
    assert console_errors == []


def test_unarchive_on_the_archived_tab(tocsin, page, login, console_errors):
    tocsin.create_many(2, "Row")
    login(page)
    open_inbox(page, tocsin)
    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name="Archive", exact=True).click()
    expect(page.locator("#notification-list > .tocsin-item")).to_have_count(0)

    open_inbox(page, tocsin, "archived")
    box(page, "Row 1").click()
    page.get_by_role("button", name="Unarchive", exact=True).click()
    archived = page.locator("#notification-list-archived > .tocsin-item")
    expect(archived).to_have_count(1)
    expect(archived.first).to_contain_text("Row 2")
    open_inbox(page, tocsin)
    expect(page.locator("#notification-list > .tocsin-item")).to_have_count(1)
    assert console_errors == []


def test_keyboard_archive_read_unread_delete(tocsin, page, login, bell, console_errors):
    tocsin.create_many(4, "Row")  # on the page: Row 4, 3, 2, 1
    login(page)
    open_inbox(page, tocsin)
    rows = page.locator("#notification-list > .tocsin-item")
    bell.expect_count(4)

    page.keyboard.press("j")  # Row 4
    page.keyboard.press("Shift+I")
    expect(rows.nth(0)).not_to_have_class(UNREAD)
    bell.expect_count(3)
    expect(status(page)).to_have_text("Marked 1 notification read.")
    page.keyboard.press("Shift+U")
    expect(rows.nth(0)).to_have_class(UNREAD)
    bell.expect_count(4)

    page.keyboard.press("e")  # archives Row 4; the next row becomes current
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Row 3")
    expect(rows.nth(0)).to_have_class(CURRENT)
    bell.expect_count(3)

    page.keyboard.press("#")  # deletes Row 3
    expect(rows).to_have_count(2)
    expect(page.locator("#notification-list")).not_to_contain_text("Row 3")
    expect(status(page)).to_have_text("Deleted 1 notification.")

    # With a selection, a shortcut acts on the selection, not on the current row.
    page.keyboard.press("x")  # Row 2
    page.keyboard.press("j")
    page.keyboard.press("x")  # Row 1
    expect(page.locator("#notification-bulk-count")).to_have_text("2 selected")
    page.keyboard.press("Shift+I")
    bell.expect_count(0)
    expect(status(page)).to_have_text("Marked 2 notifications read.")
    assert console_errors == []


def test_a_shortcut_while_typing_changes_nothing(tocsin, page, login, bell, console_errors):
    tocsin.create({"title": "Keep me"})
    login(page)
    open_inbox(page, tocsin)
    page.keyboard.press("j")
    page.evaluate(
        """() => {
        const input = document.createElement('input');
        input.setAttribute('aria-label', 'Site search');
        document.querySelector('main').prepend(input);
    }"""
    )
    page.get_by_label("Site search").fill("")
    page.get_by_label("Site search").press("e")
    page.get_by_label("Site search").press("#")
    page.get_by_label("Site search").press("Shift+I")
    expect(page.get_by_label("Site search")).to_have_value("e#I")
    page.wait_for_timeout(300)  # a wrong post would have answered by now
    expect(page.locator("#notification-list > .tocsin-item")).to_have_count(1)
    bell.expect_count(1)
    assert console_errors == []


def test_without_javascript_the_bulk_form_posts_and_comes_back(tocsin, browser):
    tocsin.create_many(3, "Row")
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(tocsin.url + "/login")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("tocsin")
        page.get_by_role("button", name="Log in").click()
        page.goto(tocsin.url + "/notifications?state=unread")
        # No script: no "select all", no shortcuts button; the buttons are enabled.
        expect(page.get_by_label("Select all on this page")).to_be_hidden()
        box(page, "Row 3").check()
        box(page, "Row 1").check()
        page.get_by_role("button", name="Archive", exact=True).click()
        expect(page).to_have_url(tocsin.url + "/notifications?state=unread")
        rows = page.locator("#notification-list-unread > .tocsin-item")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Row 2")
        expect(page.locator("#notification-badge")).to_have_attribute("data-count", "1")

        box(page, "Row 2").check()
        page.get_by_role("button", name="Mark read").click()
        expect(page).to_have_url(tocsin.url + "/notifications?state=unread")
        expect(rows).to_have_count(0)
        expect(page.locator("#notification-badge")).to_have_attribute("data-count", "0")
        page.goto(tocsin.url + "/notifications?state=archived")
        expect(page.locator("#notification-list-archived > .tocsin-item")).to_have_count(2)
    finally:
        context.close()
