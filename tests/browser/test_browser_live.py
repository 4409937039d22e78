"""Issue step 4: a notification published elsewhere shows up live; the toast rules."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

UNREAD = re.compile(r"\bis-unread\b")


def test_published_notification_appears_without_reload(tocsin, page, bell, login, console_errors):
    older = tocsin.send("Already here")
    login(page)
    page.evaluate("window.tocsinSamePage = true")  # gone if the page reloads
    bell.open_panel()
    badge = bell.badge
    bell.expect_count(1)
    stack = page.locator("#toast-stack")
    expect(stack).to_have_attribute("aria-live", "polite")

    new = tocsin.send("Ann replied", body="Sounds good")
    bell.expect_count(2)
    expect(badge).to_have_text("2")
    toast = bell.wait_for_toast("Ann replied")
    expect(toast).to_have_id(f"toast-{new}")
    expect(toast.get_by_role("button", name="Dismiss: Ann replied")).to_be_visible()
    items = page.locator("#notification-list > li")
    expect(items).to_have_count(2)
    expect(items.first).to_have_id(f"notification-{new}")  # prepended
    expect(items.first).to_have_class(UNREAD)
    expect(items.first.locator(".tocsin-item-body")).to_have_text("Sounds good")
    expect(items.nth(1)).to_have_id(f"notification-{older}")
    assert page.evaluate("window.tocsinSamePage") is True
    assert console_errors == []


def test_low_priority_updates_badge_without_toast(tocsin, page, bell, login):
    login(page)
    bell.open_panel()
    low = tocsin.send("Someone liked your post", type_="like")  # the type's default: low
    urgent_low = tocsin.send("Explicitly low", priority="low")
    sentinel = tocsin.send("Normal one", priority="normal")
    # Pushed in order: once the later toast is in, the low ones have been handled.
    expect(bell.wait_for_toast("Normal one")).to_have_id(f"toast-{sentinel}")
    bell.expect_count(3)
    for low_id in (low, urgent_low):
        expect(page.locator(f"#notification-{low_id}")).to_have_class(UNREAD)
        expect(page.locator(f"#toast-{low_id}")).to_have_count(0)
    expect(page.locator("#toast-stack .tocsin-toast")).to_have_count(1)


def test_toast_timeouts_by_priority_on_a_fake_clock(tocsin, page, login, console_errors):
    """Normal goes after 5 s, high after 10 s, urgent stays until dismissed."""
    page.clock.install()  # timers are faked; the WebSocket itself is not affected
    login(page)
    # Freeze page time, so all three toasts start their timers at the same instant.
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 2))
    ids = tocsin.create(
        {"title": "Normal", "priority": "normal"},
        {"title": "High", "priority": "high"},
        {"title": "Urgent", "priority": "urgent"},
    )
    normal, high, urgent = (page.locator(f"#toast-{i}") for i in ids)
    for toast in (normal, high, urgent):
        expect(toast).to_be_visible()
    expect(urgent).to_have_attribute("role", "alert")

    page.clock.run_for(4_900)
    expect(normal).to_be_visible()
    page.clock.run_for(200)
    expect(normal).to_be_hidden()
    expect(normal).to_have_count(0)
    expect(high).to_be_visible()
    page.clock.run_for(4_800)  # 9.9 s
    expect(high).to_be_visible()
    page.clock.run_for(200)
    expect(high).to_have_count(0)
    page.clock.run_for(10 * 60_000)
    expect(urgent).to_be_visible()

    urgent.get_by_role("button", name="Dismiss: Urgent").click()
    expect(urgent).to_have_count(0)
    # Dismissing a toast is not reading it.
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "3")
    assert console_errors == []


def test_normal_toast_auto_dismisses_in_real_time(tocsin, page, login):
    login(page)
    toast = page.locator(f"#toast-{tocsin.send('Five seconds', priority='normal')}")
    expect(toast).to_be_visible()
    expect(toast).to_be_hidden(timeout=8_000)
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "1")


def test_toast_hover_holds_its_timer(tocsin, page, login):
    page.clock.install()
    login(page)
    toast = page.locator(f"#toast-{tocsin.send('Hover me', priority='normal')}")
    expect(toast).to_be_visible()
    toast.hover()
    page.clock.run_for(60_000)
    expect(toast).to_be_visible()
    page.mouse.move(0, 0)
    page.clock.run_for(6_000)
    expect(toast).to_have_count(0)


def test_at_most_three_toasts_the_rest_collapse(tocsin, page, login, console_errors):
    """High toasts (urgent ones are never hidden: test_browser_priorities.py)."""
    page.clock.install()
    login(page)
    # Time stands still: the 10 s of the high toasts do not run out during the test.
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 2))
    ids = tocsin.create_many(5, title="High", priority="high")
    toasts = page.locator("#toast-stack .tocsin-toast")
    expect(toasts).to_have_count(5)
    visible = page.locator("#toast-stack .tocsin-toast:visible")
    expect(visible).to_have_count(3)
    more = page.locator("#toast-more")
    expect(more).to_be_visible()
    expect(more).to_have_text("+2 more")
    for newest in ids[-3:]:
        expect(page.locator(f"#toast-{newest}")).to_be_visible()
    for oldest in ids[:2]:
        expect(page.locator(f"#toast-{oldest}")).to_be_hidden()
    for i in range(3):  # nothing (the pill) covers a visible toast's dismiss button
        visible.nth(i).locator("[data-tocsin-dismiss]").click(trial=True, timeout=3_000)

    page.get_by_role("button", name=f"Dismiss: High {len(ids)}").click()
    expect(visible).to_have_count(3)
    expect(more).to_have_text("+1 more")
    expect(page.locator(f"#toast-{ids[1]}")).to_be_visible()  # the next one moves up

    page.clock.resume()  # htmx settles the panel's swap on a timer
    more.click()  # "+N more" opens the panel with everything
    panel = page.locator("section#notification-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".tocsin-item.is-unread")).to_have_count(5)
    assert console_errors == []


def test_inbox_page_list_updates_live(tocsin, page, login, live, console_errors):
    older = tocsin.send("Older")
    login(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    expect(page).to_have_url(tocsin.url + "/notifications")
    live(page)
    new = tocsin.send("Arrives on the inbox page")
    items = page.locator("#notification-list > li")
    expect(items).to_have_count(2)
    expect(items.first).to_have_id(f"notification-{new}")
    expect(items.nth(1)).to_have_id(f"notification-{older}")
    expect(page.locator(f"#toast-{new}")).to_be_visible()
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "2")
    assert console_errors == []
