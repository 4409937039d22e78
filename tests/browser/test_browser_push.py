"""Web Push's opt-in on the preferences page: the button, the service worker's registration
and the device list's Remove by keyboard. (Headless Chromium has no push service to reach
offline, so the subscription itself fails here with a message; the channel is tested
against a local push service in tests/test_webpush_channel.py.)"""

import re

import pytest
from playwright.sync_api import expect

from app import users
from tests.push_service import Device
from tocsin.channels import push_subscriptions
from tocsin.extensions import db

pytestmark = pytest.mark.browser

REGISTERED = """async () => {
  const reg = await navigator.serviceWorker.getRegistration(location.origin + '/notifications/');
  return reg ? (reg.active || reg.waiting || reg.installing).scriptURL : null;
}"""


@pytest.fixture
def extra_env() -> dict:
    return {"TOCSIN_PUSH_ALLOWED_HOSTS": "127.0.0.1:9"}


def add_device(tocsin, label: str) -> None:
    with tocsin.app_context():
        sub = Device(label.replace(" ", "-")).subscription("http://127.0.0.1:9")
        parsed = push_subscriptions.parse(sub, frozenset({"127.0.0.1:9"}))
        uid = users.by_username(db.session, "alice").id
        push_subscriptions.subscribe(db.session, uid, parsed, label, None)


def test_enable_registers_the_service_worker_and_reports_the_outcome(
    tocsin, context, page, login, console_errors
):
    context.grant_permissions(["notifications"], origin=tocsin.url)
    login(page)
    page.goto(tocsin.url + "/notifications/preferences")
    enable = page.get_by_role("button", name="Enable push on this device")
    expect(enable).to_be_visible()
    enable.focus()
    page.keyboard.press("Enter")
    status = page.locator("#notification-push [data-push-status]")
    expect(status).not_to_have_text("")
    expect(status).not_to_have_text("Enabling push…")
    assert page.evaluate(REGISTERED) == tocsin.url + "/notifications/sw.js"
    # Offline, Chromium's push service is out of reach: the page says so, and may retry.
    expect(enable).to_be_enabled()
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors


def test_remove_a_device_by_keyboard_at_390_px(tocsin, context, page, login, console_errors):
    add_device(tocsin, "Firefox on Android")
    add_device(tocsin, "Chrome on Windows")
    page.set_viewport_size({"width": 390, "height": 844})
    login(page)
    page.goto(tocsin.url + "/notifications/preferences")
    devices = page.locator("#notification-push .tocsin-push-device")
    expect(devices).to_have_count(2)
    remove = page.get_by_role("button", name="Remove Firefox on Android", exact=False)
    remove.focus()
    page.keyboard.press("Enter")
    expect(devices).to_have_count(1)
    expect(devices).to_contain_text("Chrome on Windows")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    assert not console_errors, console_errors


def test_the_page_a_push_click_opens_marks_read_and_follows_the_link(tocsin, page, login):
    (nid,) = tocsin.create({"title": "Build failed", "url": "/notifications/preferences"})
    login(page)
    page.goto(f"{tocsin.url}/notifications/push/open/{nid}")
    expect(page).to_have_url(tocsin.url + "/notifications/preferences")
    page.goto(tocsin.url + "/notifications")
    item = page.locator(f"#notification-{nid}")
    expect(item).to_be_visible()
    expect(item).not_to_have_class(re.compile(r"\bis-unread\b"))
