"""Grouping live in two tabs: one growing row and one toast, never a wall of them."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_growing_group_is_one_row_at_the_top_and_one_toast_in_each_tab(
    tocsin, page, new_page, login, live, open_panel, console_errors
):
    login(page)
    other = new_page()  # the same session in a second tab, on the inbox page
    other.goto(tocsin.url + "/notifications")
    live(other)
    open_panel(page)
    # Urgent toasts stay until dismissed, so the in-place update is seen whatever the pace.
    group = {"group": "roadmap", "priority": "urgent"}
    gid = tocsin.send("Roadmap", actor="Alice", **group)
    for tab in (page, other):
        expect(tab.locator(f"#toast-{gid}")).to_be_visible()
    unrelated = tocsin.send("Unrelated", priority="urgent")
    for tab in (page, other):
        expect(tab.locator(f"#notification-{unrelated}")).to_have_count(1)
    # Read the unrelated one in the open panel: its toast closes in both tabs (issue 15);
    # another one, left unread, shows that the group's toast is updated in place.
    page.get_by_role("button", name="Mark as read: Unrelated").click()
    kept = tocsin.send("Also unrelated", priority="urgent")
    for tab in (page, other):
        expect(tab.locator(f"#toast-{unrelated}")).to_have_count(0)
        expect(tab.locator(f"#toast-{kept}")).to_be_visible()
    assert tocsin.send("Roadmap", actor="Bob", **group) == gid
    assert tocsin.send("Roadmap", actor="Carol", **group) == gid

    for tab in (page, other):
        row = tab.locator(f"#notification-{gid}")
        expect(row).to_have_count(1)  # one element for the group, never a duplicate
        expect(row).to_have_attribute("data-group-count", "3")
        expect(row).to_contain_text("Carol, Bob and 1 other commented: Roadmap")
        # Moved above the newer, unrelated row.
        first = tab.locator("#notification-list > li").first
        expect(first).to_have_id(f"notification-{gid}")
        toast = tab.locator(f"#toast-{gid}")
        expect(toast).to_have_count(1)
        expect(toast).to_contain_text("Carol, Bob and 1 other commented")
        # In place: still before the unread unrelated toast, which arrived after it.
        order = tab.eval_on_selector_all(
            "#toast-stack > .tocsin-toast", "els => els.map(e => e.id)"
        )
        assert order.index(f"toast-{gid}") < order.index(f"toast-{kept}"), order
        expect(tab.locator("#notification-badge")).to_have_attribute("data-count", "2")

    # Keyboard focus on the row stays on the same control when the row grows under it.
    page.locator(f"#notification-{gid} .tocsin-item-read button").focus()
    assert tocsin.send("Roadmap", actor="Dave", **group) == gid
    expect(page.locator(f"#notification-{gid}")).to_have_attribute("data-group-count", "4")
    expect(page.locator(f"#notification-{gid} .tocsin-item-read button")).to_be_focused()

    # Expanding the group lists who and when, newest first, from the keyboard.
    summary = page.locator(f"#notification-{gid} summary")
    summary.focus()
    page.keyboard.press("Enter")
    members = page.locator(f"#notification-group-{gid} > li")
    expect(members).to_have_count(4)
    expect(members.first).to_contain_text("Dave")
    expect(members.last).to_contain_text("Alice")
    assert console_errors == []
