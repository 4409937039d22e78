"""The analytics page in Chromium: alice (an admin in `tocsin init --demo`) sees the funnel
and a chart of what was sent; a toast she dismisses is reported by tocsin-analytics.js;
bob (no admin) gets a 404 and no link to it."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support import wait_until
from tocsin.extensions import db
from tocsin.models import AnalyticsDaily


def dismissed(tocsin) -> int:
    """The dismissed count the server's flush thread wrote."""
    with tocsin.app_context():
        stmt = sa.select(sa.func.sum(AnalyticsDaily.count)).where(
            AnalyticsDaily.event == "dismissed"
        )
        return db.session.scalar(stmt) or 0


@pytest.mark.parametrize("extra_env", [{"TOCSIN_ANALYTICS_FLUSH_INTERVAL": "1"}], ids=["flush_1s"])
def test_alice_sees_the_analytics_and_bob_gets_a_404(tocsin, page, new_context, login, bell):
    # The CLI's process counts its publish and flushes at exit: on the page at once.
    tocsin.send("Deploy finished", type_="comment")
    login(page)
    page.goto(tocsin.url + "/notifications")
    link = page.locator("#tocsin-analytics-link")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(tocsin.url + "/notifications/analytics")
    expect(page.get_by_role("heading", name="Notification analytics")).to_be_visible()
    row = page.locator('#tocsin-analytics-funnel tr[data-type="comment"][data-channel="live"]')
    expect(row.locator('td[data-event="sent"]')).to_have_text("1")
    chart = page.get_by_role("img", name="Sent per day")
    expect(chart).to_be_visible()
    expect(chart.locator("rect")).to_have_count(1)
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()

    # A toast closed with its button is counted: one beacon, answered 204.
    page.goto(tocsin.url + "/notifications")
    bell.wait_live()
    nid = tocsin.send("Build failed", type_="comment")
    toast = bell.wait_for_toast("Build failed")
    with page.expect_response(
        lambda r: r.url.endswith("/notifications/analytics/dismissed")
    ) as sent:
        bell.dismiss(toast)
    assert sent.value.status == 204
    assert str(nid) in (sent.value.request.post_data or "")
    # The server's own flush thread writes it (every second here).
    assert wait_until(lambda: dismissed(tocsin), what="the dismissed count flushed") == 1

    other = new_context().new_page()
    login(other, "bob")
    other.goto(tocsin.url + "/notifications")
    expect(other.locator(".tocsin-inbox")).to_be_visible()
    expect(other.locator("#tocsin-analytics-link")).to_have_count(0)
    response = other.goto(tocsin.url + "/notifications/analytics")
    assert response is not None and response.status == 404
