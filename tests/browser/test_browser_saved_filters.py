"""Issue 14: saved filters in the inbox's sidebar (save, open, rename, delete, by keyboard
too), laid out beside the list on a wide screen and collapsed above it on a phone; the
panel's All / Unread tabs, live."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

UNREAD = re.compile(r"\bis-unread\b")


def sidebar(page):
    return page.locator("#tocsin-saved-filters")


def test_save_open_rename_and_delete_a_filter(tocsin, page, login, console_errors):
    tocsin.create({"title": "Invoice overdue", "type": "payment"}, {"title": "Nice post"})
    login(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    # (The list's filtering by type is the search feature's; here, the query and its URL.)
    page.goto(tocsin.url + "/notifications?type=payment&state=unread&before=999999")
    bar = sidebar(page)
    expect(bar.get_by_text("None yet")).to_be_visible()

    bar.get_by_label("Save this view as").fill("  Payments ")
    bar.get_by_role("button", name="Save this view").click()
    link = bar.get_by_role("link", name="Payments", exact=True)
    expect(link).to_be_focused()  # the answer moved the focus to the new filter
    expect(link).to_have_attribute("aria-current", "page")
    expect(bar.get_by_role("status")).to_have_text("Saved “Payments”.")

    # A duplicate (whatever the case) is refused, saying why, with the name kept.
    bar.get_by_label("Save this view as").fill("payments")
    bar.get_by_role("button", name="Save this view").click()
    expect(bar.get_by_role("alert")).to_contain_text("already have a filter named")
    expect(bar.get_by_label("Save this view as")).to_have_value("payments")

    page.goto(tocsin.url + "/notifications")
    link = sidebar(page).get_by_role("link", name="Payments", exact=True)
    expect(link).not_to_have_attribute("aria-current", "page")
    link.click()
    expect(page).to_have_url(tocsin.url + "/notifications?state=unread&type=payment")
    # The tab's name, then its count (search's tab counts).
    expect(page.locator('.tocsin-tab[aria-current="page"]')).to_have_text(re.compile(r"^Unread"))

    # Rename by keyboard: the pencil opens the field, Enter saves.
    bar = sidebar(page)
    bar.get_by_label("Rename: Payments").focus()  # a <summary>
    page.keyboard.press("Enter")
    field = bar.get_by_label("New name for Payments")
    expect(field).to_be_visible()
    field.fill("Money")
    field.press("Enter")
    renamed = bar.get_by_role("link", name="Money", exact=True)
    expect(renamed).to_be_focused()
    expect(renamed).to_have_attribute("aria-current", "page")

    bar.get_by_role("button", name="Delete saved filter: Money").click()
    expect(bar.get_by_role("link", name="Money")).to_have_count(0)
    expect(bar.get_by_label("Save this view as")).to_be_focused()
    page.reload()
    expect(sidebar(page).get_by_text("None yet")).to_be_visible()
    # The browser logs the refusal's status; nothing else went wrong.
    assert [e for e in console_errors if "409 (CONFLICT)" not in e] == []


def test_the_sidebar_is_beside_the_list_wide_and_collapsed_above_it_on_a_phone(
    tocsin, page, login, console_errors
):
    tocsin.create({"title": "Row"})
    login(page)
    page.goto(tocsin.url + "/notifications")
    page.set_viewport_size({"width": 1280, "height": 900})
    bar, row = sidebar(page).bounding_box(), page.locator(".tocsin-inbox-list > li").bounding_box()
    assert bar["x"] + bar["width"] <= row["x"] + 1 and row["y"] < bar["y"] + bar["height"]
    expect(sidebar(page).get_by_label("Save this view as")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    bar, row = sidebar(page).bounding_box(), page.locator(".tocsin-inbox-list > li").bounding_box()
    assert bar["y"] + bar["height"] <= row["y"] + 1
    name = sidebar(page).get_by_label("Save this view as")
    expect(name).to_be_hidden()
    sidebar(page).get_by_text("Saved filters (0)").click()
    expect(name).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert console_errors == []


def test_the_panels_unread_tab_shows_unread_rows_live(
    tocsin, page, new_page, login, live, open_panel, console_errors
):
    read, first, second = tocsin.create({"title": "Old"}, {"title": "First"}, {"title": "Second"})
    login(page)
    other = new_page()  # the same session in another tab
    other.goto(tocsin.url + "/")
    live(other)
    other.get_by_role("button", name="Notifications").click()
    other.get_by_role("button", name="Mark as read: Old").click()

    panel = open_panel(page)
    panel.get_by_role("link", name="Unread", exact=True).click()
    unread_tab = page.locator("#notification-panel-tab-unread")  # the new panel's
    expect(unread_tab).to_have_attribute("aria-current", "true")
    expect(unread_tab).to_be_focused()
    rows = page.locator("#notification-panel-unread > li")
    expect(rows).to_have_count(2)
    expect(page.locator(f"#notification-{read}")).to_have_count(0)

    # Read in another tab: it leaves this tab's Unread list, as the badge drops.
    other.get_by_role("button", name="Mark as read: First").click()
    expect(page.locator(f"#notification-{first}")).to_have_count(0)
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "1")
    # New notifications arrive in it.
    (new,) = tocsin.create({"title": "Brand new"})
    expect(page.locator(f"#notification-panel-unread > #notification-{new}")).to_be_visible()
    expect(rows.first).to_have_id(f"notification-{new}")
    # Marked unread elsewhere: back in its place.
    other.reload()
    live(other)
    other.get_by_role("button", name="Notifications").click()
    other.get_by_role("button", name="Mark as unread: First").click()
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_have_id(f"notification-{second}")
    expect(rows.nth(2)).to_have_id(f"notification-{first}")

    # Read here: the row leaves and the focus goes to the next row's same button.
    page.get_by_role("button", name="Mark as read: Second").click()
    expect(page.locator(f"#notification-{second}")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark as read: First")).to_be_focused()

    # A reconnect's snapshot (the All tab's first page) keeps the tab's rows unread only,
    # with what arrived meanwhile.
    snapshots = int(page.locator("#notification-bell").get_attribute("data-snapshot"))
    assert console_errors == []
    tocsin.server.stop()
    expect(page.locator("#connection-status")).not_to_have_attribute("data-state", "connected")
    (missed,) = tocsin.create({"title": "While away"})
    tocsin.server.start()
    live(page, timeout=20_000, after=snapshots)
    # Only what the outage refused or cut: reconnects, and a seen batch the page posts
    # again (one in flight as the server stops is reset rather than refused).
    refused = ("WebSocket", "Event", "ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET")
    assert all(any(r in e for r in refused) for e in console_errors)
    console_errors.clear()
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_id(f"notification-{missed}")
    expect(page.locator(f"#notification-{read}")).to_have_count(0)
    expect(page.locator("#notification-load-more")).to_have_count(0)

    # Mark all as read empties it; All shows every row, read ones too.
    panel.get_by_role("button", name="Mark all as read").click()
    expect(rows).to_have_count(0)
    expect(panel.get_by_text("No unread notifications.")).to_be_visible()
    panel.get_by_role("link", name="All", exact=True).click()
    expect(page.locator("#notification-list > li")).to_have_count(5)
    expect(page.locator("#notification-list > li.is-unread")).to_have_count(0)
    assert console_errors == []


def test_the_bell_reopens_the_panel_on_the_tab_last_chosen(tocsin, page, login, open_panel):
    read, unread = tocsin.create({"title": "Was read"}, {"title": "Still unread"})
    login(page)
    open_panel(page).get_by_role("button", name="Mark as read: Was read").click()
    page.locator("#notification-panel").get_by_role("link", name="Unread", exact=True).click()
    expect(page.locator("#notification-panel-unread > li")).to_have_count(1)
    page.keyboard.press("Escape")
    open_panel(page)
    expect(page.locator("#notification-panel-unread > li")).to_have_id(f"notification-{unread}")
    expect(page.locator(f"#notification-{read}")).to_have_count(0)
