"""Issue 15: times in the reader's timezone, and relative times that keep themselves current
in an open page (tocsin-time.js) without a request, on Playwright's fake clock."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser


@pytest.fixture
def zoned(browser, console_errors):
    """Open a tab of a browser set to `zone`, its console watched; closed after the test."""
    contexts = []

    def zoned(zone: str):
        context = browser.new_context(timezone_id=zone)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        console_errors.watch(page)
        return page

    yield zoned
    for context in contexts:
        context.close()


def set_rows(tocsin, ids: list[int], **values) -> None:
    """Write `values` into notifications `ids` (seen_at: no seen POST; created_at: an age)."""
    from tocsin.extensions import db
    from tocsin.models import Notification

    with tocsin.app_context():
        db.session.execute(sa.update(Notification).where(Notification.id.in_(ids)).values(values))
        db.session.commit()


def set_timezone(tocsin, zone: str, user: str = "alice") -> None:
    """Store `zone` as the user's timezone, as the preferences page would."""
    from app import users
    from tocsin.extensions import db
    from tocsin.notifications import preferences

    with tocsin.app_context():
        uid = users.by_username(db.session, user).id
        preferences.row_for_update(db.session, uid).timezone = zone
        db.session.commit()


#: Make the page's visibilityState say `state` and tell it, as switching tabs would.
SHOW_AS = """state => {
    Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});
    document.dispatchEvent(new Event('visibilitychange'));
}"""


def local_clock(when: datetime, zone: str) -> str:
    """The wall-clock "h:mm" of `when` in `zone`, as en-US writes it in the tooltip."""
    local = when.astimezone(ZoneInfo(zone))
    return f"{local.hour % 12 or 12}:{local:%M}"


def test_just_now_becomes_minutes_hours_and_yesterday_without_a_request(
    tocsin, zoned, login, console_errors
):
    (nid,) = tocsin.create({"title": "Ann commented"})
    set_rows(tocsin, [nid], seen_at=datetime.now(UTC))  # no seen POST to count
    page = zoned("America/New_York")
    page.clock.install(time=datetime.now(UTC))  # flows on by itself; jumps when told
    login(page)
    page.goto(tocsin.url + "/notifications")
    time = page.locator(f"#notification-{nid} time")
    expect(time).to_have_text("just now")
    # The user has no zone yet: the browser's, with its name, in the tooltip.
    expect(time).to_have_attribute("title", re.compile(r" Eastern (Standard|Daylight) Time$"))
    page.wait_for_load_state("networkidle")  # the first visit's timezone POST is done

    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.clock.fast_forward("02:00")
    expect(time).to_have_text("2 minutes ago")
    page.clock.fast_forward("58:00")
    expect(time).to_have_text("1 hour ago")
    page.clock.fast_forward("23:00:00")
    expect(time).to_have_text("yesterday")
    # The page's language: German once i18n sets <html lang="de">, from the browser's CLDR.
    page.evaluate("document.documentElement.lang = 'de'")
    page.clock.fast_forward("24:00:00")
    expect(time).to_have_text("vorgestern")
    assert requests == []
    assert console_errors == []


def test_a_hidden_tab_stops_its_timer_and_catches_up_when_shown(
    tocsin, zoned, login, console_errors
):
    (nid,) = tocsin.create({"title": "Ann commented"})
    set_rows(tocsin, [nid], seen_at=datetime.now(UTC))
    page = zoned("Asia/Tokyo")
    page.clock.install(time=datetime.now(UTC))
    login(page)
    page.goto(tocsin.url + "/notifications")
    time = page.locator(f"#notification-{nid} time")
    expect(time).to_have_text("just now")
    # Hidden: the next fast_forward fires no timer of ours, so the text stays as it was.
    page.evaluate(SHOW_AS, "hidden")
    page.clock.fast_forward("05:00")
    page.clock.run_for(1000)
    expect(time).to_have_text("just now")
    page.evaluate(SHOW_AS, "visible")
    expect(time).to_have_text("5 minutes ago")
    assert console_errors == []


def test_the_stored_timezone_wins_and_a_pushed_item_shows_it(tocsin, zoned, login, console_errors):
    set_timezone(tocsin, "Asia/Tokyo")
    # Ten days old at 20:00 UTC: the next day in Tokyo, the same day in New York.
    old = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0)
    old -= timedelta(days=10)
    (earlier,) = tocsin.create({"title": "Old news"})
    set_rows(tocsin, [earlier], created_at=old)
    page = zoned("America/New_York")
    login(page)
    page.goto(tocsin.url + "/notifications")
    expect(page.locator("#notification-bell")).to_have_attribute("data-timezone", "Asia/Tokyo")
    tokyo_day = old.astimezone(ZoneInfo("Asia/Tokyo"))
    date = page.locator(f"#notification-{earlier} time")
    expect(date).to_have_text(f"{tokyo_day:%b} {tokyo_day.day}")
    tooltip = re.escape(local_clock(old, "Asia/Tokyo")) + r"\W+AM Japan Standard Time$"
    expect(date).to_have_attribute("title", re.compile(tooltip))

    # A push is rendered once for all its recipients, in UTC: the page puts it in Tokyo.
    nid = tocsin.send("Pushed to all")
    pushed = page.locator(f"#notification-{nid} time")
    expect(pushed).to_have_text("just now")
    expect(pushed).to_have_attribute("title", re.compile(r" Japan Standard Time$"))
    expect(pushed).not_to_have_attribute("title", re.compile("UTC"))
    assert console_errors == []
