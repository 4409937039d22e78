"""A burst past the rate limit collapses, never drops: 50 notifications to alice, whose two
tabs are served by two server processes sharing the database and Redis (the broker and the
limit's counts). Every row is stored and counted; at most 10 toast; once the window ends
each tab gets one "40 more notifications"."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support import LiveServer
from tocsin.extensions import db
from tocsin.models import Held, Notification
from tocsin.testing import Bell

pytestmark = pytest.mark.browser

LIMIT = "10 per 10 seconds"  # room for the burst and a CLI process to start within it
TOAST_ID = re.compile(r"^toast-(\d+)$")
SUMMARY_ID = re.compile(r"^toast-summary-(\d+)$")

#: Records the id of every toast ever added to the page (they time out and go).
WATCH_TOASTS = """() => {
  window.tocsinSeenToasts = new Set();
  new MutationObserver((mutations) => {
    for (const m of mutations) for (const node of m.addedNodes) {
      if (node.nodeType !== 1) continue;
      for (const el of [node, ...node.querySelectorAll('[id^="toast-"]')]) {
        if (el.id.startsWith("toast-")) window.tocsinSeenToasts.add(el.id);
      }
    }
  }).observe(document.body, {childList: true, subtree: true});
}"""


@pytest.fixture
def extra_env(redis_url, channel_prefix) -> dict:
    return {
        "TOCSIN_REDIS_URL": redis_url,
        "TOCSIN_REDIS_CHANNEL_PREFIX": channel_prefix,
        "TOCSIN_RATE_LIMIT": LIMIT,
        "TOCSIN_CATCHUP_INTERVAL": "0.5",
    }


@pytest.fixture
def second_server(tocsin):
    """Another process serving the same instance: the same database, Redis and secret."""
    server = LiveServer(tocsin.env).start()
    yield server
    server.stop()


def seen(page) -> tuple[list[int], list[int]]:
    """The ids of the toasts and of the summary toasts the page has shown so far."""
    ids = page.evaluate("() => [...window.tocsinSeenToasts]")
    toasts = [int(m[1]) for i in ids if (m := TOAST_ID.match(i))]
    summaries = [int(m[1]) for i in ids if (m := SUMMARY_ID.match(i))]
    return toasts, summaries


def test_a_burst_of_50_is_stored_and_counted_and_collapses_into_one_summary_per_tab(
    tocsin, second_server, page, new_page, login, live, monkeypatch, console_errors
):
    login(page)  # on the first process
    other = new_page()  # a second tab of the same login, served by the second process
    other.goto(second_server.url + "/")
    live(other)
    tabs = [Bell(page), Bell(other)]
    for bell in tabs:
        bell.page.evaluate(WATCH_TOASTS)

    # The burst, from a third process (this one) counting in the same Redis...
    for name, value in tocsin.env.items():
        if name.startswith("TOCSIN_REDIS") or name == "TOCSIN_RATE_LIMIT":
            monkeypatch.setenv(name, value)
    ids = tocsin.create_many(49, title="Burst")
    # ...and one more from a fourth (the CLI), which Redis knows is past the limit.
    ids.append(tocsin.send("Burst 50"))

    for bell in tabs:
        bell.expect_count(50)
    with tocsin.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 50
        reasons = db.session.execute(sa.select(Held.notification_id, Held.reason)).all()
    assert len(reasons) == 40 and {r for _, r in reasons} == {"rate"}
    assert ids[-1] in {nid for nid, _ in reasons}

    # When the window ends, each tab gets one summary of the 40 held (from whichever
    # process's sweeper claimed them first, through Redis to both).
    for bell in tabs:
        summary = bell.page.locator("#toast-stack .tocsin-toast-summary")
        expect(summary).to_have_count(1, timeout=25_000)
        expect(summary).to_have_id(f"toast-summary-{ids[-1]}")
        expect(summary).to_have_text("40 more notifications")
        expect(summary).to_have_attribute("data-reason", "rate")
    # Two more sweeps of each process: still one summary, and nothing left held.
    page.wait_for_timeout(1500)
    with tocsin.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Held)) == 0
    for bell in tabs:
        toasts, summaries = seen(bell.page)
        assert 1 <= len(toasts) <= 10, toasts
        assert set(toasts) <= set(ids[:10])
        assert summaries == [ids[-1]]
        bell.expect_count(50)
    assert console_errors == []
