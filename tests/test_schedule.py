"""Quiet hours as instants on a frozen clock: midnight, spring-forward gaps, fall-back hours."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tocsin.models import utcnow
from tocsin.notifications import schedule
from tocsin.notifications.preferences import Preferences

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def quiet_at(instant: datetime, start: str, end: str, tz: str) -> bool:
    """Whether the user is quiet with the clock frozen at `instant` (read through utcnow)."""
    prefs = Preferences(
        timezone=tz, quiet_start=schedule.parse_hhmm(start), quiet_end=schedule.parse_hhmm(end)
    )
    with time_machine.travel(instant, tick=False):
        return prefs.paused(utcnow()) == "quiet"


# -- the wall clock's instants --------------------------------------------------------

#: (zone, the spring-forward day, the first local time after the gap, that instant in UTC)
SPRING = [
    (NY, date(2026, 3, 8), time(3, 0), utc(2026, 3, 8, 7, 0)),  # 02:00 EST -> 03:00 EDT
    (BERLIN, date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1, 0)),  # 02:00 CET -> 03:00 CEST
    (SYDNEY, date(2026, 10, 4), time(3, 0), utc(2026, 10, 3, 16, 0)),  # 02:00 AEST -> 03:00
]
#: (zone, the fall-back day, a repeated local time, its first instant, its second instant)
FALL = [
    (NY, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)),
    (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)),
    (SYDNEY, date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30), utc(2026, 4, 4, 16, 30)),
]


@pytest.mark.parametrize(("tz", "day", "after_gap", "jump"), SPRING, ids=str)
def test_a_skipped_time_is_met_when_the_clock_jumps_past_it(tz, day, after_gap, jump):
    for skipped in (time(2, 0), time(2, 1), time(2, 30), time(2, 59)):
        assert schedule.local_instant(day, skipped, tz) == jump
    assert schedule.local_instant(day, after_gap, tz) == jump  # 03:00 is the same instant
    before = schedule.local_instant(day, time(1, 59), tz)
    assert jump - before == timedelta(minutes=1)  # the clock went 01:59 -> 03:00


@pytest.mark.parametrize(("tz", "day", "repeated", "first", "second"), FALL, ids=str)
def test_a_repeated_time_is_met_the_first_time(tz, day, repeated, first, second):
    assert schedule.local_instant(day, repeated, tz) == first
    # Both instants read the same on the wall clock: the second is not chosen.
    assert first.astimezone(tz).time() == second.astimezone(tz).time() == repeated


def test_an_ordinary_time_is_its_instant():
    assert schedule.local_instant(date(2026, 7, 1), time(8, 0), BERLIN) == utc(2026, 7, 1, 6, 0)
    assert schedule.local_instant(date(2026, 1, 1), time(8, 0), NY) == utc(2026, 1, 1, 13, 0)


# -- quiet windows on a frozen clock --------------------------------------------------


def test_a_window_across_midnight():
    # 22:00 to 07:00 in Berlin, winter (UTC+1): 21:00Z to 06:00Z.
    assert not quiet_at(utc(2026, 1, 14, 20, 59), "22:00", "07:00", "Europe/Berlin")
    assert quiet_at(utc(2026, 1, 14, 21, 0), "22:00", "07:00", "Europe/Berlin")
    assert quiet_at(utc(2026, 1, 14, 23, 30), "22:00", "07:00", "Europe/Berlin")  # 00:30 local
    assert quiet_at(utc(2026, 1, 15, 5, 59), "22:00", "07:00", "Europe/Berlin")
    assert not quiet_at(utc(2026, 1, 15, 6, 0), "22:00", "07:00", "Europe/Berlin")
    assert not quiet_at(utc(2026, 1, 15, 12, 0), "22:00", "07:00", "Europe/Berlin")


def test_no_window_when_unset_or_empty():
    prefs = Preferences(timezone="Europe/Berlin")
    with time_machine.travel(utc(2026, 1, 14, 23, 0), tick=False):
        assert prefs.paused(utcnow()) is None
    assert not quiet_at(utc(2026, 1, 14, 23, 0), "22:00", "22:00", "Europe/Berlin")


@pytest.mark.parametrize(
    ("tz", "start", "end"),
    [
        # Quiet 01:30-02:30 on the spring-forward night: it ends when 02:00 jumps to 03:00,
        # after 30 real minutes, not an hour.
        ("America/New_York", utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 0)),
        ("Europe/Berlin", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0)),
        ("Australia/Sydney", utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16, 0)),
    ],
    ids=["new-york", "berlin", "sydney"],
)
def test_quiet_hours_over_the_spring_forward_gap(tz, start, end):
    minute = timedelta(minutes=1)
    assert not quiet_at(start - minute, "01:30", "02:30", tz)
    assert quiet_at(start, "01:30", "02:30", tz)
    assert quiet_at(end - minute, "01:30", "02:30", tz)
    assert not quiet_at(end, "01:30", "02:30", tz)
    assert not quiet_at(end + timedelta(minutes=40), "01:30", "02:30", tz)  # 03:40 local
    # A window that starts in the gap starts when the clock jumps: 02:15-06:00.
    assert not quiet_at(end - minute, "02:15", "06:00", tz)
    assert quiet_at(end, "02:15", "06:00", tz)


@pytest.mark.parametrize(
    ("tz", "begins", "ends"),
    [
        # Quiet 22:00-01:30 across the fall-back night: 22:00 summer time to the first
        # 01:30 (still summer time); the repeated 01:00-01:30 after the change is not quiet.
        ("America/New_York", utc(2026, 11, 1, 2, 0), utc(2026, 11, 1, 5, 30)),
        ("Europe/Berlin", utc(2026, 10, 24, 20, 0), utc(2026, 10, 24, 23, 30)),
        ("Australia/Sydney", utc(2026, 4, 4, 11, 0), utc(2026, 4, 4, 14, 30)),
    ],
    ids=["new-york", "berlin", "sydney"],
)
def test_quiet_hours_across_the_fall_back_hour(tz, begins, ends):
    minute = timedelta(minutes=1)
    assert not quiet_at(begins - minute, "22:00", "01:30", tz)
    assert quiet_at(begins, "22:00", "01:30", tz)
    assert quiet_at(ends - minute, "22:00", "01:30", tz)
    assert not quiet_at(ends, "22:00", "01:30", tz)
    # An hour later the wall clock reads 01:30 again (New York: 01:00-02:00 repeats) or
    # later; the window does not start over.
    for later in (30, 60, 90):
        assert not quiet_at(ends + timedelta(minutes=later), "22:00", "01:30", tz)


def test_quiet_hours_over_the_repeated_hour_last_its_length_plus_the_hour():
    # Berlin 02:00-04:00 on the fall-back night: 03:00 CEST becomes 02:00 CET, so the
    # window runs 02:00 CEST (00:00Z) to 04:00 CET (03:00Z), three real hours.
    assert not quiet_at(utc(2026, 10, 24, 23, 59), "02:00", "04:00", "Europe/Berlin")
    assert quiet_at(utc(2026, 10, 25, 0, 0), "02:00", "04:00", "Europe/Berlin")
    assert quiet_at(utc(2026, 10, 25, 2, 59), "02:00", "04:00", "Europe/Berlin")
    assert not quiet_at(utc(2026, 10, 25, 3, 0), "02:00", "04:00", "Europe/Berlin")


def test_the_window_is_the_users_wall_clock_not_the_servers():
    instant = utc(2026, 6, 1, 3, 0)  # 05:00 in Berlin, 23:00 the day before in New York
    assert quiet_at(instant, "22:00", "07:00", "Europe/Berlin")
    assert quiet_at(instant, "22:00", "07:00", "America/New_York")
    assert not quiet_at(instant, "22:00", "07:00", "Australia/Sydney")  # 13:00 there


def test_an_unknown_timezone_is_utc():
    assert schedule.zone("Mars/Olympus") == ZoneInfo("UTC")
    assert quiet_at(utc(2026, 6, 1, 23, 0), "22:00", "07:00", "Mars/Olympus")
    assert not schedule.is_zone("Mars/Olympus") and schedule.is_zone("Europe/Berlin")


# -- "until tomorrow 8:00" ------------------------------------------------------------


def test_next_morning_is_tomorrow_on_the_users_wall_clock():
    with time_machine.travel(utc(2026, 6, 1, 20, 0), tick=False):  # 22:00 in Berlin
        assert schedule.next_morning(utcnow(), time(8, 0), BERLIN) == utc(2026, 6, 2, 6, 0)
    # 23:30 in New York is already 2 June in UTC: tomorrow is New York's tomorrow.
    with time_machine.travel(utc(2026, 6, 2, 3, 30), tick=False):
        assert schedule.next_morning(utcnow(), time(8, 0), NY) == utc(2026, 6, 2, 12, 0)


def test_next_morning_over_daylight_saving_changes():
    # The night of spring forward in New York: 8:00 EDT is 12:00Z, 23 hours after 8:00 EST.
    with time_machine.travel(utc(2026, 3, 8, 2, 0), tick=False):  # 21:00 EST on 7 March
        assert schedule.next_morning(utcnow(), time(8, 0), NY) == utc(2026, 3, 8, 12, 0)
    # A morning time inside Berlin's gap ("until 2:30") is when the clock jumps.
    with time_machine.travel(utc(2026, 3, 28, 20, 0), tick=False):
        assert schedule.next_morning(utcnow(), time(2, 30), BERLIN) == utc(2026, 3, 29, 1, 0)
    # Sydney's fall back: 8:00 AEST on 5 April is 22:00Z on the 4th.
    with time_machine.travel(utc(2026, 4, 4, 10, 0), tick=False):  # 21:00 AEDT
        assert schedule.next_morning(utcnow(), time(8, 0), SYDNEY) == utc(2026, 4, 4, 22, 0)


@pytest.mark.parametrize("text", ["24:00", "7:00", "07:60", "0700", "", "ab:cd"])
def test_parse_hhmm_refuses_what_is_not_a_time(text):
    with pytest.raises(ValueError):
        schedule.parse_hhmm(text)
