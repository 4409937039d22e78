"""Issue step 6: one user's tabs stay in step; another user sees none of it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

UNREAD = re.compile(r"\bis-unread\b")


def test_reading_in_one_tab_updates_the_other(
    tocsin, page, new_page, login, live, open_panel, console_errors
):
    first = tocsin.send("First")
    second = tocsin.send("Second")
    third = tocsin.send("Third")
    login(page)
    other = new_page()  # same context: the same logged-in session, a second tab
    other.goto(tocsin.url + "/")
    live(other)
    open_panel(page)
    open_panel(other)
    other_badge = other.locator("#notification-badge")
    expect(other_badge).to_have_attribute("data-count", "3")

    page.get_by_role("button", name="Mark as read: First").click()
    expect(other.locator(f"#notification-{first}")).not_to_have_class(UNREAD)
    expect(other.locator(f"#notification-{second}")).to_have_class(UNREAD)
    expect(other_badge).to_have_attribute("data-count", "2")

    # Live from the other direction too, and with the other tab's panel closed.
    page.keyboard.press("Escape")
    expect(page.locator("#notification-panel")).to_be_hidden()
    other.get_by_role("button", name="Mark as read: Third").click()
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "1")
    expect(page.locator(f"#notification-{third}")).not_to_have_class(UNREAD)

    other.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#notification-badge")).to_be_hidden()
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "0")
    expect(page.locator(f"#notification-{second}")).not_to_have_class(UNREAD)
    assert console_errors == []


def test_another_user_sees_nothing_of_alices(
    tocsin, page, new_context, new_page, login, open_panel, console_errors
):
    login(page)
    bob = new_page(new_context())
    login(bob, "bob")
    open_panel(bob)

    for_alice = tocsin.send("For Alice only", priority="urgent")
    expect(page.locator(f"#toast-{for_alice}")).to_be_visible()
    for_bob = tocsin.send("For Bob", to="bob", priority="urgent")
    # Bob's own later notification arrived, so Alice's would have by now.
    expect(bob.locator(f"#toast-{for_bob}")).to_be_visible()
    expect(bob.locator(f"#notification-{for_bob}")).to_be_visible()
    expect(bob.locator("#notification-badge")).to_have_attribute("data-count", "1")
    expect(bob.locator(f"#toast-{for_alice}")).to_have_count(0)
    expect(bob.locator(f"#notification-{for_alice}")).to_have_count(0)
    expect(bob.get_by_text("For Alice only")).to_have_count(0)

    # Alice reading hers changes nothing for Bob; his reading changes nothing for her.
    page.locator(f"#toast-{for_alice}").get_by_role("button", name=re.compile("Dismiss")).click()
    open_panel(page)
    page.get_by_role("button", name="Mark as read: For Alice only").click()
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "0")
    bob.get_by_role("button", name="Mark as read: For Bob").click()
    expect(bob.locator("#notification-badge")).to_have_attribute("data-count", "0")
    expect(page.locator(f"#notification-{for_bob}")).to_have_count(0)
    expect(page.get_by_text("For Bob")).to_have_count(0)

    bob.reload()  # and the server-rendered panel shows only his
    items = open_panel(bob).locator("#notification-list > li")
    expect(items).to_have_count(1)
    expect(items).to_have_id(f"notification-{for_bob}")
    assert console_errors == []
