"""Quiet hours on the wall clock of the user's timezone, as instants (zoneinfo).

A window runs from the local start time to the local end time, the next day if the end
is earlier (crossing midnight). Local times become instants the way a wall clock would
meet them: a time skipped by a spring-forward change is met the moment the clock jumps
past it, and a time that a fall-back change repeats is met the first time. So a window
starts and ends once a day, whatever daylight saving does.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

HHMM_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def parse_hhmm(text: str) -> time:
    """Return the time of an "HH:MM" string (24-hour); raise ValueError otherwise."""
    match = HHMM_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time as HH:MM (00:00 to 23:59)")
    return time(int(match[1]), int(match[2]))


def zone(name: str | None) -> ZoneInfo:
    """Return the zone called `name`; UTC for None or a name this system does not know."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_zone(name: str) -> bool:
    """Whether `name` is an IANA timezone this system knows."""
    return name in _known_zones()


_ZONES: frozenset[str] | None = None


def _known_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant the wall clock of `tz` first reads `at` (or jumps past it) on `day`."""
    first = datetime.combine(day, at, tzinfo=tz)  # fold=0: the first of a repeated time
    instant = first.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == first.replace(tzinfo=None):
        return instant
    # Skipped by a spring-forward change: fold=1 reads it with the new offset, an instant
    # before the change; the change itself is the first minute the offset differs.
    moment = datetime.combine(day, at, tzinfo=tz).replace(fold=1).astimezone(UTC)
    before = moment.astimezone(tz).utcoffset()
    while moment.astimezone(tz).utcoffset() == before:
        moment += timedelta(minutes=1)
    # Transitions fall on whole minutes; back up to the first second past one.
    return moment.replace(second=0, microsecond=0)


def window_around(now: datetime, start: time, end: time, tz: ZoneInfo):
    """The quiet window (start, end instants) that holds `now`, or None."""
    if start == end:
        return None
    today = now.astimezone(tz).date()
    for offset in (-1, 0):
        day = today + timedelta(days=offset)
        begins = local_instant(day, start, tz)
        ends = local_instant(day + timedelta(days=1) if end < start else day, end, tz)
        if begins <= now < ends:
            return begins, ends
    return None


def is_quiet(now: datetime, start: time | None, end: time | None, tz: ZoneInfo) -> bool:
    """Whether `now` (aware) falls in the daily quiet window from `start` to `end`."""
    if start is None or end is None:
        return False
    return window_around(now, start, end, tz) is not None


def next_morning(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The instant of `at` tomorrow on the wall clock of `tz` ("until tomorrow 8:00")."""
    return local_instant(now.astimezone(tz).date() + timedelta(days=1), at, tz)
