"""Relative times for notification lists: "just now", "5 min ago", a date after a week."""

from datetime import UTC, datetime


def relative_time(when: datetime, now: datetime | None = None) -> str:
    """Describe `when` relative to `now` the way notification lists do."""
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    if days < 7:
        return "yesterday" if days == 1 else f"{days} days ago"
    if when.year == now.year:
        return f"{when:%b} {when.day}"
    return f"{when:%b} {when.day}, {when.year}"


def isotime(when: datetime) -> str:
    """Format for <time datetime>: ISO 8601 with the zone."""
    return when.isoformat(timespec="seconds")
