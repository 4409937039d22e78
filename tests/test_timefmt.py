"""Times for people: relative text, dates and the full tooltip, in a zone and a language."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tocsin.notifications.timefmt import full_time, isotime, relative_time, short_date

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
AUCKLAND = ZoneInfo("Pacific/Auckland")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def full(*args) -> str:
    """full_time's text with CLDR's narrow no-break space before AM/PM as a plain one."""
    return full_time(*args).replace("\u202f", " ")


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=-30), "just now"),  # a clock a little ahead
        (timedelta(seconds=5), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=5), "5 minutes ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),  # never rounded up to an hour
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=3), "3 hours ago"),
        (timedelta(days=1, hours=2), "yesterday"),
        (timedelta(days=2), "2 days ago"),
        (timedelta(days=6, hours=23), "6 days ago"),
        (timedelta(days=8), "Nov 13"),
        (timedelta(days=400), "Oct 17, 2025"),
    ],
)
def test_relative_time(ago, text):
    assert relative_time(NOW - ago, NOW) == text


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(minutes=5), "vor 5 Minuten"),
        (timedelta(hours=1), "vor 1 Stunde"),
        (timedelta(days=1), "gestern"),
        (timedelta(days=2), "vorgestern"),  # CLDR's word, as the browser's numeric: "auto"
        (timedelta(days=8), "13. Nov."),
    ],
)
def test_relative_time_in_german(ago, text):
    assert relative_time(NOW - ago, NOW, locale="de") == text


def test_an_old_date_is_the_day_in_the_users_zone():
    # 20:00 UTC on Nov 12 is already Nov 13 in Auckland and still Nov 12 in New York.
    when = datetime(2026, 11, 12, 20, 0, tzinfo=UTC)
    assert relative_time(when, NOW) == "Nov 12"
    assert relative_time(when, NOW, zone=AUCKLAND) == "Nov 13"
    assert relative_time(when, NOW, zone=NEW_YORK) == "Nov 12"


def test_the_year_shows_when_it_is_not_this_year_in_the_users_zone():
    now = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)  # already Jan 1 2027 in Auckland
    when = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
    assert short_date(when, now) == "Dec 20"
    assert short_date(when, now, AUCKLAND) == "Dec 21, 2026"


def test_the_tooltip_is_the_users_day_not_utcs():
    # The old tooltip said "2026-11-21 12:00 UTC" to a reader for whom it was already the 22nd.
    assert full(NOW) == "Sat, Nov 21, 2026, 12:00 PM UTC"
    assert full(NOW, AUCKLAND) == "Sun, Nov 22, 2026, 1:00 AM New Zealand Daylight Time"
    assert full(NOW, NEW_YORK) == "Sat, Nov 21, 2026, 7:00 AM Eastern Standard Time"
    assert full(NOW, AUCKLAND, "de") == "So., 22. Nov. 2026, 01:00 Neuseeland-Sommerzeit"


CET, CEST = "Central European Standard Time", "Central European Summer Time"


@pytest.mark.parametrize(
    ("when", "text"),
    [
        # Europe/Berlin leaves summer time at 03:00 CEST = 01:00 UTC on Oct 25, 2026.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), f"Sun, Oct 25, 2026, 2:30 AM {CEST}"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), f"Sun, Oct 25, 2026, 2:30 AM {CET}"),
        # And enters it at 02:00 CET = 01:00 UTC on Mar 29, 2026: 02:30 never happens.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), f"Sun, Mar 29, 2026, 1:59 AM {CET}"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), f"Sun, Mar 29, 2026, 3:00 AM {CEST}"),
    ],
)
def test_the_zone_name_tells_the_repeated_hour_apart_across_dst(when, text):
    assert full(when, BERLIN) == text


def test_a_relative_time_counts_real_hours_across_dst():
    # 01:30 CEST and 02:30 CET on the fall-back night: an hour apart on the wall, two real ones.
    when = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    assert relative_time(when, when + timedelta(hours=2), BERLIN) == "2 hours ago"


def test_isotime_is_utc_whatever_the_zone_given():
    assert isotime(NOW) == "2026-11-21T12:00:00+00:00"
    assert isotime(NOW.astimezone(AUCKLAND)) == "2026-11-21T12:00:00+00:00"
    assert datetime.fromisoformat(isotime(NOW)) == NOW  # the snooze menu posts it back
