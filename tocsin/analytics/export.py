"""The analytics as CSV: a row per day, type and channel with a column per event.

A cell that a spreadsheet would run as a formula (one starting with = + - @, a tab or a
carriage return: a host's type names are free text to us) gets a leading apostrophe.
"""

import csv
import io
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import AnalyticsDaily
from .period import Period
from .recorder import EVENTS

D = AnalyticsDaily
HEADER = ("day", "type", "channel", *EVENTS)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """`value` as a CSV cell no spreadsheet evaluates."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def rows(session: Session, period: Period) -> Iterator[list[str]]:
    """The header, then a row per day, type and channel that had any event, in that order."""
    yield list(HEADER)
    stmt = (
        sa.select(D.day, D.type, D.channel, D.event, D.count)
        .where(D.day.between(period.start, period.end))
        .order_by(D.day, D.type, D.channel)
    )
    current: tuple | None = None
    counts: dict[str, int] = {}
    for day, type_, channel, event, count in session.execute(stmt):
        if (day, type_, channel) != current:
            if current is not None:
                yield _row(current, counts)
            current, counts = (day, type_, channel), {}
        counts[event] = counts.get(event, 0) + count
    if current is not None:
        yield _row(current, counts)


def _row(key: tuple, counts: dict[str, int]) -> list[str]:
    day, type_, channel = key
    return [day.isoformat(), cell(type_), cell(channel), *(str(counts.get(e, 0)) for e in EVENTS)]


def render(session: Session, period: Period) -> str:
    """The whole CSV (a year of a few dozen types and channels is a few hundred kB)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows(session, period))
    return out.getvalue()
