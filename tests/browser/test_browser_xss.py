"""Markup in a notification is text: shown literally, never executed, never fetched."""

import pytest
from playwright.sync_api import expect

from tocsin.notifications.types import NOTIFICATION_TYPES

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


def hostile(field: str) -> str:
    return f"\"'><img src=x onerror=alert('{field}')><x-{field}>{field}</x-{field}>"


def every_type(priority: str) -> list[dict]:
    """One notification per built-in type, every field it can show holding markup."""
    data = {key: hostile(key) for key in ("order_id", "amount", "currency", "ip")}
    return [
        {
            "type": name,
            "title": hostile("title"),
            "body": hostile("body"),
            "actor": hostile("actor"),
            "url": "/x?q=\"'><x-url>",
            "data": data,
            "priority": priority,
        }
        for name in sorted(NOTIFICATION_TYPES)
    ]


def test_markup_in_every_type_is_shown_as_text(tocsin, page, login, open_panel, console_errors):
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    rendered = tocsin.create(*every_type("normal"))  # in the page and the panel as rendered
    login(page)
    panel = open_panel(page)
    pushed = tocsin.create(*every_type("urgent"))  # pushed: items and (urgent: all) toasts
    for nid in rendered + pushed:
        expect(panel.locator(f"#notification-{nid} .tocsin-item-title")).to_contain_text(
            hostile("title")
        )
    for nid in pushed:
        expect(page.locator(f"#toast-{nid} .tocsin-item-title")).to_contain_text(hostile("title"))
    injected = "img, script, x-title, x-body, x-actor, x-order_id, x-amount, x-ip, x-url"
    expect(page.locator(f"body :is({injected})")).to_have_count(0)

    page.goto(tocsin.url + "/notifications")
    for nid in rendered + pushed:
        expect(page.locator(f"#notification-{nid} .tocsin-item-body")).to_contain_text(
            hostile("body")
        )
    expect(page.locator(f"body :is({injected})")).to_have_count(0)
    sentinel = tocsin.send("Sentinel", priority="urgent")  # the page still works
    expect(page.locator(f"#notification-{sentinel}")).to_be_visible()
    assert dialogs == []
    assert not [u for u in requests if u.rstrip("/").endswith("/x")]
    assert console_errors == []
