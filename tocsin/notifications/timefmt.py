"""Times for people, in a zone and a language (Babel's CLDR data): "5 minutes ago", a date
after a week, and the full date and time with the zone's name.

tocsin-time.js computes the same relative text in the browser (Intl.RelativeTimeFormat,
numeric "auto", from the same CLDR), and keeps it current; keep both in step.
"""

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from babel import Locale, dates

#: Under a minute old. CLDR's "now" reads oddly in a list; i18n translates this phrase
#: (tocsin-time.js takes it from its script tag).
JUST_NOW = "just now"
#: Younger than this is told relative to now; older shows its date.
WEEK = timedelta(days=7)
Unit = Literal["day", "hour", "minute"]
#: The units of a relative time, largest first.
_UNITS: tuple[tuple[Unit, int], ...] = (("day", 86400), ("hour", 3600), ("minute", 60))


def relative_time(
    when: datetime,
    now: datetime | None = None,
    zone: tzinfo = UTC,
    locale: Locale | str = "en",
    just_now: str = JUST_NOW,
) -> str:
    """Describe `when` relative to `now` the way notification lists do; a week and older
    is its date on the wall clock of `zone`. Under a minute is `just_now` (translated by
    the caller)."""
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return just_now
    if seconds >= WEEK.total_seconds():
        return short_date(when, now, zone, locale)
    unit, size = next((u, s) for u, s in _UNITS if seconds >= s)
    return _ago(int(seconds // size), unit, size, Locale.parse(locale))


def _ago(count: int, unit: Unit, size: int, locale: Locale) -> str:
    # CLDR's own word where it has one ("yesterday", "vorgestern"), as the browser's
    # numeric: "auto" says it; Babel's public API has no call for these.
    word = locale._data["date_fields"].get(unit, {}).get("relative", {}).get(-count)
    if word:
        return word
    # Whole units, so Babel's rounding never turns 59 minutes into "1 hour ago".
    delta = timedelta(seconds=-count * size)
    return dates.format_timedelta(
        delta, granularity=unit, threshold=1, add_direction=True, locale=locale
    )


def short_date(
    when: datetime, now: datetime, zone: tzinfo = UTC, locale: Locale | str = "en"
) -> str:
    """The day of `when` in `zone`: "Nov 13", with the year when it is not this year."""
    local = when.astimezone(zone)
    skeleton = "MMMd" if local.year == now.astimezone(zone).year else "yMMMd"
    return dates.format_skeleton(skeleton, local, tzinfo=zone, locale=locale)


def full_time(when: datetime, zone: tzinfo = UTC, locale: Locale | str = "en") -> str:
    """The date, time and zone name: "Sun, Nov 22, 2026, 1:00 AM New Zealand Daylight
    Time" (a tooltip, an email)."""
    locale = Locale.parse(locale)
    local = when.astimezone(zone)
    day = dates.format_skeleton("yMMMEd", local, tzinfo=zone, locale=locale)
    clock = dates.format_time(local, "short", tzinfo=zone, locale=locale)
    pattern = str(locale.datetime_formats["medium"])  # "{1}, {0}": date, then time
    name = zone_name(local, zone, locale)
    return f"{pattern.replace('{1}', day).replace('{0}', clock)} {name}"


def zone_name(local: datetime, zone: tzinfo, locale: Locale) -> str:
    """The zone's long name at that instant (summer or winter time), "UTC" for UTC."""
    if local.utcoffset() == timedelta(0) and str(zone) in ("UTC", "Etc/UTC"):
        return "UTC"
    return dates.get_timezone_name(local, "long", locale=locale)


def isotime(when: datetime) -> str:
    """Format for <time datetime>: ISO 8601 in UTC (+00:00), whoever reads it."""
    return when.astimezone(UTC).isoformat(timespec="seconds")
