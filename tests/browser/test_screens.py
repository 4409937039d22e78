"""Screenshots for a reviewer: 390 and 1280 px wide, light and dark, of the login and demo
pages, the open panel, a toast of each priority, the inbox with a search and a filter, and
the preferences page.

The PNGs go to $TOCSIN_SCREENS_DIR, else test-results/screens/ under the repository root;
each path is recorded as the test's "screenshot" property (JUnit XML) and listed at the
end of pytest's output (conftest.py), where a reviewer of the CI log finds them. One
context per colour scheme, resized for each width: a server, a login and a few pushes each.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS, wait_live
from tests.support import ROOT
from tocsin.testing import Bell

pytestmark = pytest.mark.browser

WIDTHS = {390: 844, 1280: 800}
NOTIFICATIONS = [
    {"title": "Deploy finished on production", "body": "All 12 checks passed."},
    {
        "type": "mention",
        "title": "Bob mentioned you in “Quarterly plan”",
        "body": "@alice can you look?",
    },
    {"type": "friend_request", "title": "Bob wants to be friends"},
    {"type": "security", "title": "New login from Firefox on Linux", "priority": "high"},
    {"title": "A long title " * 8 + "Supercalifragilisticexpialidocious-and-then-some-more"},
]
TOASTS = [  # the normal one last: it is gone after 5 s
    {"type": "security", "title": "Urgent: password changed", "priority": "urgent"},
    {"title": "High: the build is red", "body": "3 tests failed", "priority": "high"},
    {"title": "Normal: a new comment", "body": "Looks good to me"},
]


def screens_dir() -> Path:
    """Where the PNGs go: $TOCSIN_SCREENS_DIR, else test-results/screens/ in the repository."""
    out = Path(os.environ.get("TOCSIN_SCREENS_DIR") or ROOT / "test-results" / "screens")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screens(tocsin, browser, record_property, scheme):
    out = screens_dir()

    def shoot(page, width: int, name: str, full_page: bool = False) -> None:
        path = out / f"{scheme}-{width}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        record_property("screenshot", str(path))

    tocsin.create(*NOTIFICATIONS)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.goto(tocsin.url + "/login")
            shoot(page, width, "login")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.goto(tocsin.url + "/")
            wait_live(page)
            shoot(page, width, "demo")
            bell = Bell(page)
            bell.open_panel()
            shoot(page, width, "panel")
            bell.close_panel()

            page.evaluate("document.activeElement.blur()")  # the bell's focus ring, from Escape
            ids = tocsin.create(*TOASTS)
            toasts = [page.locator(f"#toast-{nid}") for nid in ids]
            for toast in toasts:
                expect(toast).to_be_visible()
            shoot(page, width, "toasts")
            for toast in toasts:
                if toast.is_visible():
                    toast.locator("[data-tocsin-dismiss]").click()

            # A search and two types: the filters' disclosure shows open.
            page.goto(tocsin.url + "/notifications?q=deploy&type=comment&type=security")
            wait_live(page)
            expect(page.locator(".tocsin-filters-more")).to_have_attribute("open", "")
            shoot(page, width, "inbox-search", full_page=True)
            page.goto(tocsin.url + "/notifications/preferences")
            wait_live(page)
            shoot(page, width, "preferences", full_page=True)
    finally:
        context.close()
    assert len(list(out.glob(f"{scheme}-*.png"))) >= len(WIDTHS) * 6
