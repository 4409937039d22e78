"""Issue 9 item 6: a read the database refused tells the user, and leaves item and badge be."""

import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

UNREAD = re.compile(r"\bis-unread\b")


@pytest.fixture
def extra_env() -> dict:
    return {"TOCSIN_DB_LOCK_TIMEOUT": "0.3"}  # a 503 after 0.3 s, not the default 5


@contextmanager
def write_lock(tocsin):
    """Hold the embedded SQLite database's write lock from this process."""
    conn = sqlite3.connect(
        Path(tocsin.env["TOCSIN_INSTANCE_PATH"]) / "tocsin.sqlite3", isolation_level=None
    )
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def test_a_refused_read_says_not_saved_and_a_retry_saves(
    tocsin, page, login, open_panel, console_errors
):
    nid = tocsin.send("Stays unread")
    login(page)
    open_panel(page)
    item, badge = page.locator(f"#notification-{nid}"), page.locator("#notification-badge")
    expect(badge).to_have_attribute("data-count", "1")
    mark_read = page.get_by_role("button", name="Mark as read: Stays unread")

    with write_lock(tocsin):
        mark_read.click()
        alert = page.locator("#toast-stack").get_by_role("alert")
        expect(alert).to_be_visible()
        expect(alert).to_contain_text("Not saved")
    expect(item).to_have_class(UNREAD)
    expect(badge).to_have_attribute("data-count", "1")
    expect(page.locator("section#notification-panel")).to_be_visible()

    alert.get_by_role("button", name="Dismiss: not saved").click()
    expect(alert).to_have_count(0)
    mark_read.click()
    expect(item).not_to_have_class(UNREAD)
    expect(badge).to_have_attribute("data-count", "0")
    # Chromium logs every non-2xx response; the 503 was expected, anything else is not.
    assert [e for e in console_errors if "status of 503" not in e] == []
