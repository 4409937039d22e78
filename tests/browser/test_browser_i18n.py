"""Issue 15: a German user sees German, from the setting or from the browser's language,
including what the JavaScript writes and the plural forms."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tocsin.testing import Bell

pytestmark = pytest.mark.browser


def freeze_clock(page) -> None:
    """Stop the page's timers (installed before login): high toasts then never time out."""
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 2))


@pytest.fixture
def german_browser(browser, console_errors):
    """A tab of a browser whose language is German (Accept-Language: de-DE)."""
    context = browser.new_context(locale="de-DE")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console_errors.watch(page)
    yield page
    context.close()


def test_the_language_setting_turns_the_ui_german(tocsin, page, login, console_errors):
    tocsin.create(*({"title": f"Row {i}"} for i in range(1, 4)))
    login(page)  # English: the browser asks for English, no setting yet
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(tocsin.url + "/notifications/preferences")
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Save preferences").click()
    # The answer already speaks the language just chosen.
    expect(page.get_by_role("status").filter(has_text="Einstellungen gespeichert")).to_be_visible()

    page.goto(tocsin.url + "/notifications")
    Bell(page).wait_live()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Benachrichtigungen", exact=True)).to_be_visible()
    expect(page.locator("#notification-badge")).to_have_attribute(
        "aria-label", "3 ungelesene Benachrichtigungen"
    )
    # Written by tocsin.js from the page's string table, in German, with the right plural.
    count = page.locator("#notification-bulk-count")
    expect(count).to_have_text("Keine ausgewählt")
    page.get_by_label("Row 3 auswählen", exact=True).check()
    expect(count).to_have_text("1 ausgewählt")
    page.get_by_label("Row 2 auswählen", exact=True).check()
    page.get_by_role("button", name="Archivieren", exact=True).click()
    expect(page.locator("#notification-inbox-status")).to_have_text(
        "2 Benachrichtigungen archiviert."
    )
    expect(page.locator("#notification-badge")).to_have_attribute(
        "aria-label", "1 ungelesene Benachrichtigung"
    )
    # The undo toast came from the server, in German and in the singular/plural it needs.
    expect(page.locator("#toast-stack")).to_contain_text("2 Benachrichtigungen archiviert.")
    expect(page.locator("#connection-status .tocsin-connection-label")).to_have_text("Live")
    assert console_errors == []


def test_a_german_browser_gets_german_without_a_setting(tocsin, german_browser, console_errors):
    page = german_browser
    page.clock.install()
    page.goto(tocsin.url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("Benutzername").fill("bob")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(tocsin.url + "/")
    bell = Bell(page)
    bell.wait_live()
    freeze_clock(page)

    # Four high toasts pushed live: three show, the fourth waits behind "+1 weitere", a
    # string tocsin.js writes; each toast and the badge were rendered for a German socket.
    tocsin.create(*({"title": f"Hoch {i}", "priority": "high"} for i in range(1, 5)), to="bob")
    expect(page.locator("#toast-stack .tocsin-toast")).to_have_count(4)
    more = page.locator("#toast-more")
    expect(more).to_have_text("+1 weitere")
    expect(more).to_have_attribute("aria-label", "1 weitere im Panel anzeigen")
    expect(page.locator("#notification-badge")).to_have_attribute(
        "aria-label", "4 ungelesene Benachrichtigungen"
    )
    expect(page.get_by_role("button", name="Schließen: Hoch 4")).to_be_visible()

    panel = bell.open_panel()
    expect(panel.get_by_role("heading", name="Benachrichtigungen")).to_be_visible()
    expect(panel.get_by_role("button", name="Alle als gelesen markieren")).to_be_visible()
    expect(panel.locator("#notification-list > .tocsin-item")).to_have_count(4)
    assert console_errors == []
