"""Issue step 3: the bell opens the panel (mouse and keyboard), it closes, it pages."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def test_click_bell_loads_panel_with_items(tocsin, page, login, open_panel, console_errors):
    first = tocsin.send("Ann commented", body="Looks good to me")
    second = tocsin.send("Bo mentioned you", type_="mention")
    login(page)
    bell = page.locator("#notification-bell-button")
    expect(bell).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#notification-panel")).to_be_hidden()

    panel = open_panel(page)
    expect(panel).to_be_focused()
    expect(panel.get_by_role("heading", name="Notifications")).to_be_visible()
    items = panel.locator("#notification-list > li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_id(f"notification-{second}")  # newest first
    expect(items.nth(1)).to_have_id(f"notification-{first}")

    item = page.locator(f"#notification-{first}")
    expect(item).to_have_class(re.compile(r"\bis-unread\b"))
    expect(item.locator(".tocsin-item-title")).to_have_text("Ann commented")
    expect(item.locator(".tocsin-item-body")).to_have_text("Looks good to me")
    time = item.locator("time")
    expect(time).to_have_text("just now")
    expect(time).to_have_attribute("datetime", ISO_UTC)
    expect(page.locator(f"#notification-{second} .tocsin-item-body")).to_have_count(0)
    expect(page.locator(f"#notification-{second}")).to_have_class(re.compile(r"\bis-unread\b"))
    assert console_errors == []


def test_keyboard_opens_with_enter_and_space_and_escape_returns_focus(
    tocsin, page, login, console_errors
):
    tocsin.send("Keyboard user")
    login(page)
    bell = page.locator("#notification-bell-button")
    panel = page.locator("#notification-panel")
    for key in ("Enter", " "):
        bell.focus()
        expect(bell).to_be_focused()
        page.keyboard.press(key)
        expect(panel).to_be_visible()
        expect(bell).to_have_attribute("aria-expanded", "true")
        expect(panel.locator(".tocsin-item")).to_have_count(1)
        expect(panel).to_be_focused()

        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(bell).to_have_attribute("aria-expanded", "false")
        expect(bell).to_be_focused()
    assert console_errors == []


def test_click_outside_closes_and_click_inside_does_not(
    tocsin, page, login, open_panel, console_errors
):
    tocsin.send("Stay open")
    login(page)
    panel = open_panel(page)
    panel.get_by_role("heading", name="Notifications").click()
    expect(panel).to_be_visible()

    # The panel overlaps the heading's middle: click its left edge, clearly outside.
    page.get_by_role("heading", name="Welcome, alice").click(position={"x": 5, "y": 5})
    expect(panel).to_be_hidden()
    expect(page.locator("#notification-bell-button")).to_have_attribute("aria-expanded", "false")

    open_panel(page)  # and the bell toggles it shut again
    page.locator("#notification-bell-button").click()
    expect(page.locator("#notification-panel")).to_be_hidden()
    assert console_errors == []


@pytest.mark.parametrize("extra_env", [{"TOCSIN_PAGE_SIZE": "5"}], ids=["page_size_5"])
def test_load_more_appends_the_next_page(tocsin, page, login, open_panel, console_errors):
    ids = tocsin.create_many(12)
    newest_first = [f"notification-{i}" for i in reversed(ids)]
    login(page)
    panel = open_panel(page)
    items = panel.locator("#notification-list > li")
    expect(items).to_have_count(5)
    load_more = panel.get_by_role("link", name="Load more")

    load_more.click()
    expect(items).to_have_count(10)
    assert [items.nth(i).get_attribute("id") for i in range(10)] == newest_first[:10]

    load_more.click()
    expect(items).to_have_count(12)
    assert [items.nth(i).get_attribute("id") for i in range(12)] == newest_first
    expect(load_more).to_have_count(0)  # last page: no link left
    expect(panel).to_be_visible()
    assert console_errors == []
