"""Snooze now: paused from one tab's panel menu, every tab shows it live, and while paused
comments raise the badge without a toast while a security notification still toasts."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def test_snooze_in_one_tab_pauses_every_tab_until_resumed(
    tocsin, page, new_page, login, live, open_panel, console_errors
):
    login(page)
    other = new_page()  # same context: a second tab of alice's
    other.goto(tocsin.url + "/")
    live(other)
    tabs = (page, other)
    for tab in tabs:
        expect(tab.locator("#notification-snooze")).to_be_hidden()

    # By keyboard: open the menu, pick "For 30 minutes".
    panel = open_panel(page)
    summary = panel.locator("#notification-snooze-menu > summary")
    expect(summary).to_have_text("Pause notifications")
    summary.focus()
    page.keyboard.press("Enter")
    choice = panel.get_by_role("button", name="For 30 minutes")
    expect(choice).to_be_visible()
    choice.focus()
    page.keyboard.press("Enter")

    for tab in tabs:
        banner = tab.locator("#notification-snooze")
        expect(banner).to_be_visible()
        expect(banner).to_have_attribute("role", "status")
        expect(banner).to_have_attribute("data-until", ISO_UTC)
        expect(banner).to_contain_text(re.compile(r"Paused until (tomorrow )?\d\d:\d\d"))
    # The choice closed the menu and gave focus back to its toggle; the panel stays open.
    expect(panel.locator("#notification-snooze-menu")).not_to_have_attribute("open", "")
    expect(panel.get_by_role("button", name="For 30 minutes")).to_be_hidden()
    expect(summary).to_be_focused()

    quiet = tocsin.send("While paused")
    for tab in tabs:
        expect(tab.locator("#notification-badge")).to_have_attribute("data-count", "1")
    expect(page.locator(f"#notification-{quiet}")).to_be_visible()  # the open panel updates
    critical = tocsin.send("New sign-in", type_="security")
    for tab in tabs:
        expect(tab.locator(f"#toast-{critical}")).to_be_visible()
        expect(tab.locator("#notification-badge")).to_have_attribute("data-count", "2")
        # The security toast came after the comment's: the comment had none to show.
        expect(tab.locator(f"#toast-{quiet}")).to_have_count(0)

    other.locator("#notification-snooze").get_by_role("button", name="Resume").click()
    for tab in tabs:
        expect(tab.locator("#notification-snooze")).to_be_hidden()
    back = tocsin.send("Back again")
    for tab in tabs:
        expect(tab.locator(f"#toast-{back}")).to_be_visible()
    assert console_errors == []


def test_until_i_resume_shows_on_a_page_opened_later(
    tocsin, page, new_page, login, live, open_panel, console_errors
):
    login(page)
    open_panel(page).locator("#notification-snooze-menu > summary").click()
    page.get_by_role("button", name="Until I resume").click()
    banner = page.locator("#notification-snooze")
    expect(banner).to_have_text(re.compile(r"Paused until you resume"))
    expect(banner).to_have_attribute("data-forever", "")
    later = new_page()
    later.goto(tocsin.url + "/")
    live(later)
    expect(later.locator("#notification-snooze")).to_be_visible()
    expect(later.locator("#notification-snooze")).not_to_have_attribute("data-until", ISO_UTC)
    later.locator("#notification-snooze").get_by_role("button", name="Resume").click()
    expect(banner).to_be_hidden()
    assert console_errors == []


def test_without_javascript_the_inbox_pauses_and_resumes(tocsin, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(tocsin.url + "/login")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("tocsin")
        page.get_by_role("button", name="Log in").click()
        page.goto(tocsin.url + "/notifications")
        banner = page.locator("#notification-snooze")
        expect(banner).to_be_hidden()
        page.get_by_text("Pause notifications").click()  # <details> opens without script
        page.get_by_role("button", name="Until tomorrow 8:00").click()
        expect(page).to_have_url(tocsin.url + "/notifications")  # the 303 back
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Paused until tomorrow 08:00")
        banner.get_by_role("button", name="Resume").click()
        expect(page).to_have_url(tocsin.url + "/notifications")
        expect(banner).to_be_hidden()
    finally:
        context.close()
