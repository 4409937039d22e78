"""Quiet hours around "now": no toasts, the badge still counts, one summary when they end.

The server keeps the real clock, in which alice's quiet hours last two more hours; the
end comes from a sweep in the test process on a clock moved past it (time-machine).
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from app import users
from tocsin.extensions import db
from tocsin.models import Preference
from tocsin.notifications import catchup
from tocsin.testing import Bell

pytestmark = pytest.mark.browser


def set_quiet_hours_around_now(tocsin) -> datetime:
    """Alice's quiet hours from two hours ago to two hours on, in Berlin; return the end."""
    local = datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin"))
    start, end = local - timedelta(hours=2), local + timedelta(hours=2)
    with tocsin.app_context():
        db.session.add(
            Preference(
                user_id=users.by_username(db.session, "alice").id,
                timezone="Europe/Berlin",
                quiet_start=start.strftime("%H:%M"),
                quiet_end=end.strftime("%H:%M"),
                channels={},
            )
        )
        db.session.commit()
    return end.replace(second=0, microsecond=0).astimezone(UTC)


def sweep_after(tocsin, end: datetime) -> dict[int, int]:
    with tocsin.app_context(), time_machine.travel(end + timedelta(minutes=1)):
        return catchup.sweep(db.session).summaries


def test_quiet_hours_hold_toasts_and_one_summary_shows_when_they_end(
    tocsin, page, new_page, login, live, console_errors
):
    end = set_quiet_hours_around_now(tocsin)
    login(page)
    other = new_page()  # the same session, a second tab
    other.goto(tocsin.url + "/")
    live(other)
    tabs = [Bell(page), Bell(other)]

    ids = tocsin.create(
        {"title": "Quiet one", "priority": "normal"},
        {"title": "Quiet two", "priority": "high"},
        {"title": "Quiet three"},
    )
    for bell in tabs:
        bell.expect_count(3)  # the badge counts them...
        for nid in ids:
            expect(bell.toast(nid)).to_have_count(0)  # ...but nothing toasts
        expect(bell.toasts).to_have_count(0)

    assert list(sweep_after(tocsin, end).values()) == [3]
    for bell in tabs:
        summary = bell.page.locator("#toast-stack .tocsin-toast-summary")
        expect(summary).to_have_count(1)
        expect(summary).to_have_id(f"toast-summary-{ids[-1]}")
        expect(summary).to_have_text("While quiet hours were on: 3 notifications")
        expect(summary).to_have_attribute("data-priority", "normal")
        expect(summary.get_by_role("link")).to_have_attribute("href", "/notifications?state=unread")

    # Told once: a second sweep finds nothing, and a later push brings no second one.
    assert sweep_after(tocsin, end) == {}
    later = tocsin.create({"title": "Still night on the server's clock"})[0]
    for bell in tabs:
        bell.expect_count(4)
        expect(bell.toast(later)).to_have_count(0)
        expect(bell.toasts).to_have_count(1)  # the summary, once

    # Dismissed in one tab, followed in the other: to the unread inbox.
    tabs[1].dismiss(other.locator(".tocsin-toast-summary"))
    page.locator(".tocsin-toast-summary").get_by_role("link").click()
    expect(page).to_have_url(tocsin.url + "/notifications?state=unread")
    assert console_errors == []


def test_a_tab_opened_after_the_end_shows_no_summary(tocsin, page, new_page, login, live):
    end = set_quiet_hours_around_now(tocsin)
    login(page)
    tocsin.create({"title": "Held"})
    Bell(page).expect_count(1)
    assert list(sweep_after(tocsin, end).values()) == [1]
    expect(page.locator(".tocsin-toast-summary")).to_have_count(1)

    late = new_page()
    late.goto(tocsin.url + "/")
    live(late)
    bell = Bell(late)
    sentinel = tocsin.create({"title": "After the end"})[0]
    bell.expect_count(2)
    bell.open_panel()
    expect(bell.item(sentinel)).to_have_count(1)
    expect(late.locator(".tocsin-toast-summary")).to_have_count(0)
