"""The analytics page's date range: `from` and `to` (YYYY-MM-DD, UTC days, both included),
by default the last DEFAULT_DAYS days, at most MAX_DAYS long."""

from dataclasses import dataclass
from datetime import date, timedelta

#: Days shown when the range is not given.
DEFAULT_DAYS = 30
#: The longest range: a year and a day (a chart of 367 bars is still readable).
MAX_DAYS = 367


class InvalidPeriod(ValueError):
    """The range cannot be used; the message says why (the page answers 400 with it)."""


@dataclass(frozen=True)
class Period:
    """UTC days `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def query(self) -> dict[str, str]:
        """The range as the form's GET arguments."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def parse(args, today: date) -> Period:
    """Read `from` and `to` from request arguments; raise InvalidPeriod on bad input."""
    end = _day(args.get("to"), "to") or today
    start = _day(args.get("from"), "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidPeriod("from must be on or before to")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidPeriod(f"the range may span at most {MAX_DAYS} days")
    return Period(start, end)


def _day(raw: str | None, name: str) -> date | None:
    if raw is None or raw == "":
        return None
    if len(raw) != 10 or not raw.isascii():
        raise InvalidPeriod(f"{name} must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidPeriod(f"{name} must be a date as YYYY-MM-DD") from None
