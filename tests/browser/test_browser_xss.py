"""Markup in a notification is text: shown literally, never executed, never fetched."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TITLE = "<img src=x onerror=alert(1)>"
BODY = "<script>alert(2)</script><b>bold?</b>"


def test_markup_in_a_notification_is_shown_as_text(tocsin, page, login, open_panel, console_errors):
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    first = tocsin.send(TITLE, body=BODY)  # server-rendered on page load
    login(page)
    open_panel(page)
    pushed = tocsin.send(TITLE, body=BODY, priority="urgent")  # pushed over the socket
    toast = page.locator(f"#toast-{pushed}")
    expect(toast).to_be_visible()

    expect(toast.locator(".tocsin-item-title")).to_have_text(TITLE)
    expect(toast.locator(".tocsin-item-body")).to_have_text(BODY)
    expect(toast.get_by_role("button", name=f"Dismiss: {TITLE}")).to_be_visible()
    for nid in (first, pushed):
        item = page.locator(f"#notification-{nid}")
        expect(item.locator(".tocsin-item-title")).to_have_text(TITLE)
        expect(item.locator(".tocsin-item-body")).to_have_text(BODY)
    expect(page.locator("#notification-bell img, #notification-bell script")).to_have_count(0)
    expect(page.locator("#notification-bell b")).to_have_count(0)

    page.goto(tocsin.url + "/notifications")  # the inbox page renders it as text too
    expect(page.locator(f"#notification-{first} .tocsin-item-title")).to_have_text(TITLE)
    expect(page.locator("main img, main script")).to_have_count(0)
    # A later notification round-trips after the page had every chance to misbehave.
    sentinel = tocsin.send("Sentinel", priority="urgent")
    expect(page.locator(f"#toast-{sentinel}")).to_be_visible()
    assert dialogs == []
    assert not [u for u in requests if u.rstrip("/").endswith("/x")]
    assert console_errors == []
