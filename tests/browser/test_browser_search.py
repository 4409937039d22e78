"""Issue 14: search the inbox, filter by type, and the back button restores the query."""

import re

import pytest
from playwright.sync_api import expect

from tocsin.testing import Bell

pytestmark = pytest.mark.browser


def test_search_filter_by_type_and_back(tocsin, page, login, console_errors):
    tocsin.create(
        {"type": "payment", "title": "Payment received", "body": "Invoice <b>42</b>"},
        {"type": "order", "title": "Order shipped", "body": "payment confirmed"},
        {"type": "comment", "title": "Nice photo"},
    )
    login(page)
    page.goto(tocsin.url + "/notifications")
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_visible()
    Bell(page).wait_live()
    rows = page.locator("#notification-inbox .tocsin-item")
    expect(rows).to_have_count(3)

    page.keyboard.press("/")  # the first of two keystrokes: focus the box
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_focused()
    search.fill("pay")
    search.press("Enter")
    expect(page).to_have_url(tocsin.url + "/notifications?q=pay")
    expect(rows).to_have_count(2)
    expect(page.locator("#notification-inbox mark")).to_have_text(["pay", "Pay"])
    expect(page.locator("#notification-inbox")).to_contain_text("Invoice <b>42</b>")

    page.get_by_text("Filters", exact=True).click()  # not "Saved filters"
    page.get_by_label("Order", exact=True).check()
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(tocsin.url + "/notifications?type=order&q=pay")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Order shipped")
    # The swapped-in section runs the inbox's shortcuts: j makes the row current.
    page.locator("h1").click()
    page.keyboard.press("j")
    expect(rows.first).to_have_class(re.compile(r"\btocsin-current\b"))

    page.go_back()
    expect(page).to_have_url(tocsin.url + "/notifications?q=pay")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("pay")
    assert console_errors == []
