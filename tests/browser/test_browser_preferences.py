"""Issue 11: the preferences page, driven as a user would: mute comment toasts, keep security."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS
from tocsin.testing import Bell

pytestmark = pytest.mark.browser


@pytest.fixture
def tokyo(browser, console_errors):
    """A tab of a browser set to Tokyo time, its console watched."""
    context = browser.new_context(timezone_id="Asia/Tokyo")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console_errors.watch(page)
    yield page
    context.close()


def open_preferences(page) -> None:
    """Follow the gear in the panel header to the preferences page, socket live again."""
    bell = Bell(page)
    bell.open_panel().get_by_role("link", name="Notification preferences").click()
    expect(page.get_by_role("heading", name="Notification preferences")).to_be_visible()
    bell.wait_live()


def test_muted_comment_toasts_raise_the_badge_only_and_security_still_toasts(
    tocsin, tokyo, login, console_errors
):
    page, bell = tokyo, Bell(tokyo)
    login(page)
    # The first visit sent the browser's timezone; the page shows it, still editable.
    # Polled from here: wait_for_function evaluates its string in the page, which the
    # page's CSP (no 'unsafe-eval') refuses once it polls more than once.
    sent = "Object.keys(localStorage).some(k => k.startsWith('tocsin:timezone-sent:'))"
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not page.evaluate(sent):
        assert time.monotonic() < deadline, "the timezone was never sent"
        page.wait_for_timeout(50)
    open_preferences(page)
    expect(page.get_by_label("Timezone")).to_have_value("Asia/Tokyo")

    comment_toast = page.get_by_role("checkbox", name="Comment: toast")
    expect(comment_toast).to_be_checked()
    for channel in ("toast", "browser", "push", "email"):
        security = page.get_by_role("checkbox", name=f"Security: {channel}")
        expect(security).to_be_checked()
        expect(security).to_be_disabled()
    comment_toast.uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status").filter(has_text="Preferences saved")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Comment: toast")).not_to_be_checked()
    expect(page).to_have_url(tocsin.url + "/notifications/preferences")  # in place

    quiet = tocsin.send("Ann commented")
    bell.expect_count(1)
    loud = tocsin.send("New sign-in", type_="security")
    bell.expect_count(2)
    expect(bell.wait_for_toast("New sign-in")).to_have_id(f"toast-{loud}")
    # Pushed in order: the security toast is in, so the comment's push was handled.
    expect(bell.toast(quiet)).to_have_count(0)
    assert console_errors == []


def test_a_rejected_save_shows_why_and_the_page_stays_editable(tocsin, page, login):
    login(page)
    open_preferences(page)
    page.get_by_label("From", exact=True).fill("22:00")
    page.get_by_role("button", name="Save preferences").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "Quiet hours need both a start and an end time (or neither, for none)."
    )
    expect(page.get_by_label("From", exact=True)).to_have_value("22:00")  # what was typed is kept
    page.get_by_label("To", exact=True).fill("07:00")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status").filter(has_text="Preferences saved")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)


def test_the_page_fits_a_phone(tocsin, page, login):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page)
    page.goto(tocsin.url + "/notifications/preferences")
    expect(page.get_by_role("checkbox", name="Comment: email")).to_be_attached()
    # The table may scroll inside its own box; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    save = page.get_by_role("button", name="Save preferences")
    page.get_by_label("Language").focus()  # the last field before Save
    page.keyboard.press("Tab")  # by keyboard: the focus ring shows
    expect(save).to_be_focused()
    outline = save.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"
