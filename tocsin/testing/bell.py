"""A page object for Tocsin's bell, panel and toasts on one Playwright page.

It reads and drives only the public contract (ids, data-* attributes, roles), so a host's
test keeps working when the markup around them changes. Every wait is Playwright's own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

try:
    from playwright.sync_api import expect
except ImportError:  # a host without Playwright still imports tocsin.testing
    expect = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

UNREAD = re.compile(r"\bis-unread\b")


class Bell:
    """The bell of `page`: its count, panel, toasts and connection."""

    def __init__(self, page: Page) -> None:
        if expect is None:
            raise RuntimeError("tocsin.testing.Bell needs Playwright: pip install playwright")
        self.page = page
        self.root = page.locator("#notification-bell")
        self.button = page.locator("#notification-bell-button")
        self.badge = page.locator("#notification-badge")
        self.panel = page.locator("section#notification-panel")
        self.status = page.locator("#connection-status")
        self.toasts = page.locator("#toast-stack .tocsin-toast")

    # ---- reading ----
    def count(self) -> int:
        """Return the exact unread count (the badge may display 99+)."""
        return int(self.badge.get_attribute("data-count") or 0)

    def connection_state(self) -> str:
        """Return connecting, connected, reconnecting or offline."""
        return self.status.get_attribute("data-state") or ""

    def snapshots(self) -> int:
        """Return how many snapshots this page has applied (one per socket (re)connect)."""
        return int(self.root.get_attribute("data-snapshot") or 0)

    def item(self, notification_id: int) -> Locator:
        """Return the list item of a notification (panel or inbox)."""
        return self.page.locator(f"#notification-{notification_id}")

    def toast(self, notification_id: int) -> Locator:
        """Return the toast of a notification."""
        return self.page.locator(f"#toast-{notification_id}")

    # ---- waiting ----
    def wait_live(self, after: int = 0, timeout: float | None = None) -> None:
        """Wait until the socket is open and a snapshot newer than the `after`-th is applied.

        Publish only after this: before it, a new notification comes with the snapshot
        rather than as a push. After a reconnect, pass `snapshots()` read before it.
        """
        self.page.wait_for_function(
            "n => Number(document.getElementById('notification-bell')"
            "?.getAttribute('data-snapshot') || 0) > n",
            arg=after,
            timeout=timeout,
        )
        expect(self.status).to_have_attribute("data-state", "connected", timeout=timeout)

    def expect_count(self, count: int) -> None:
        """Wait until the exact unread count is `count`."""
        expect(self.badge).to_have_attribute("data-count", str(count))

    def wait_for_toast(self, title: str) -> Locator:
        """Wait for a visible toast whose text contains `title`; return it."""
        toast = self.toasts.filter(has_text=title).last
        expect(toast).to_be_visible()
        return toast

    # ---- acting ----
    def open_panel(self) -> Locator:
        """Open the panel (a no-op if open) and wait for its list; return the panel."""
        if self.button.get_attribute("aria-expanded") != "true":
            self.button.click()
        expect(self.button).to_have_attribute("aria-expanded", "true")
        expect(self.panel).to_be_visible()
        return self.panel

    def close_panel(self) -> None:
        """Close the panel with Escape, as a keyboard user would."""
        if self.button.get_attribute("aria-expanded") == "true":
            self.page.keyboard.press("Escape")
        expect(self.button).to_have_attribute("aria-expanded", "false")

    def mark_read(self, notification_id: int) -> None:
        """Click an item's "Mark as read" (opening the panel if the item is not shown)."""
        item = self.item(notification_id)
        if not item.is_visible():
            self.open_panel()
        item.locator(".tocsin-item-read button").click()
        expect(item).not_to_have_class(UNREAD)

    def mark_all_read(self) -> None:
        """Click "Mark all as read" in the open panel (opening it first)."""
        self.open_panel().get_by_role("button", name="Mark all as read").click()
        expect(self.panel.locator(".tocsin-item.is-unread")).to_have_count(0)

    def action(self, notification_id: int, label: str) -> Locator:
        """Return an item's action button (e.g. "Accept"), in the panel or the inbox."""
        return self.item(notification_id).locator(".tocsin-action", has_text=label)

    def dismiss(self, toast: Locator) -> None:
        """Dismiss a toast with its close button and wait until it is gone."""
        toast.locator("[data-tocsin-dismiss]").click()
        expect(toast).to_have_count(0)
