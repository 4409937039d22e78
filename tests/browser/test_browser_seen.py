"""Seen: a row is stamped once it was on screen for a second in the open panel (one batched
POST), not when it was shown for less; with TOCSIN_BADGE_COUNTS=unseen the badge drops in
the user's other tab too. Timers run on Playwright's clock; the socket and requests are real."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SEEN_URL = re.compile(r"/notifications/seen$")
#: Resolves once a fresh IntersectionObserver has seen the row at least half in view:
#: observers report in the order they were made, so tocsin-seen.js's has by then, and
#: its timer is running.
REPORTED = """row => new Promise(done => new IntersectionObserver((entries, observer) => {
    if (entries.some(e => e.intersectionRatio >= 0.5)) { observer.disconnect(); done(true); }
}, {threshold: [0, 0.5]}).observe(row))"""


@pytest.mark.parametrize("extra_env", [{"TOCSIN_BADGE_COUNTS": "unseen"}], ids=["unseen"])
def test_a_second_in_the_open_panel_stamps_rows_seen_and_the_badge_drops_in_another_tab(
    tocsin, page, new_page, login, live, open_panel, console_errors
):
    page.clock.install()
    login(page)
    other = new_page()  # a second tab of the same session, never opening its panel
    other.goto(tocsin.url + "/")
    live(other)
    posts: list[str] = []
    page.on(
        "request", lambda r: posts.append(r.post_data or "") if SEEN_URL.search(r.url) else None
    )

    ids = tocsin.create({"title": "First"}, {"title": "Second"})
    rows = [page.locator(f"#notification-{nid}") for nid in ids]
    for tab in (page, other):
        expect(tab.locator("#notification-badge")).to_have_attribute("data-count", "2")
        expect(tab.locator("#notification-badge")).to_have_attribute(
            "aria-label", "2 new notifications"
        )
    # From here page time moves only when the test says so.
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 2))

    # Less than a second in view, then closed: nothing is stamped.
    open_panel(page)
    for row in rows:
        expect(row).to_be_visible()
        expect(row).to_have_attribute("data-unseen", "")
        assert row.evaluate(REPORTED) is True
    page.clock.run_for(900)
    page.keyboard.press("Escape")
    expect(page.locator("#notification-panel")).to_be_hidden()
    page.clock.run_for(5_000)

    # Opened again and left open for a second: one POST names both rows.
    open_panel(page)
    for row in rows:
        expect(row).to_be_visible()
        assert row.evaluate(REPORTED) is True
    with page.expect_response(SEEN_URL) as answer:
        page.clock.run_for(2_000)  # the dwell (1 s) and the batch's wait (0.75 s)
    assert answer.value.status == 204
    assert posts == [f"ids={ids[0]}&ids={ids[1]}"] or posts == [f"ids={ids[1]}&ids={ids[0]}"]
    for row in rows:
        expect(row).not_to_have_attribute("data-unseen", "")
    # Both tabs get the unseen badge, live: the other tab through the socket.
    for tab in (page, other):
        expect(tab.locator("#notification-badge")).to_have_attribute("data-count", "0")
        expect(tab.locator("#notification-badge")).to_be_hidden()
    # Unseen is not unread: the rows are still unread.
    for row in rows:
        expect(row).to_have_class(re.compile(r"\bis-unread\b"))
    page.clock.run_for(5_000)
    assert len(posts) == 1  # a stamped row is never posted again
    assert console_errors == []


def test_the_inbox_stamps_rows_too_and_the_default_badge_counts_unread(
    tocsin, page, login, console_errors
):
    ids = tocsin.create({"title": "Old news"}, {"title": "Fresh"})
    page.clock.install()
    login(page)
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 2))
    page.goto(tocsin.url + "/notifications")
    rows = [page.locator(f"#notification-{nid}") for nid in ids]
    for row in rows:
        expect(row).to_have_attribute("data-unseen", "")
        assert row.evaluate(REPORTED) is True
    with page.expect_response(SEEN_URL) as answer:
        page.clock.run_for(2_000)
    assert answer.value.status == 204
    for row in rows:
        expect(row).not_to_have_attribute("data-unseen", "")
    badge = page.locator("#notification-badge")
    expect(badge).to_have_attribute("data-counts", "unread")
    page.reload()  # seen, still unread: the default badge still counts both
    expect(badge).to_have_attribute("data-count", "2")
    expect(page.locator(f"#notification-{ids[0]}")).not_to_have_attribute("data-unseen", "")
    assert console_errors == []
