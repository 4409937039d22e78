"""Issue step 2: logging in through the form, the bell in the nav, the unread badge."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_login_form_then_bell_in_nav_with_hidden_badge(tocsin, page, login, console_errors):
    page.goto(tocsin.url + "/")
    expect(page).to_have_url(tocsin.url + "/login?next=%2F")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Unknown username or wrong password.")
    expect(page.locator("#notification-bell")).to_have_count(0)
    console_errors.clear()  # the refused login is a 401 document, reported by Chromium

    login(page)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator("#notification-bell")).to_be_visible()
    expect(page.get_by_role("button", name="Notifications")).to_have_id("notification-bell-button")
    badge = page.locator("#notification-badge")
    expect(badge).to_have_attribute("data-count", "0")
    expect(badge).to_be_hidden()
    expect(page.locator("#connection-status")).to_have_text("Live")
    assert console_errors == []


def test_badge_counts_live_and_caps_at_99_plus(tocsin, page, login, console_errors):
    tocsin.create_many(99)
    login(page)
    badge = page.locator("#notification-badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("99")
    expect(badge).to_have_attribute("data-count", "99")
    expect(badge).to_have_attribute("aria-label", "99 unread notifications")

    tocsin.create_many(2)  # pushed over the socket: no reload
    expect(badge).to_have_attribute("data-count", "101")
    expect(badge).to_have_text("99+")
    expect(badge).to_have_attribute("aria-label", "101 unread notifications")

    page.reload()  # the server-rendered bell says the same
    expect(badge).to_have_text("99+")
    expect(badge).to_have_attribute("data-count", "101")
    assert console_errors == []


def test_badge_singular_label(tocsin, page, bell, login):
    login(page)
    assert bell.snapshots() == 1 and bell.connection_state() == "connected"
    tocsin.send("Just one")
    bell.expect_count(1)
    badge = bell.badge
    expect(badge).to_have_text("1")
    expect(badge).to_have_attribute("aria-label", "1 unread notification")
