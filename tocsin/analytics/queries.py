"""Read the daily counts for the analytics page: the funnel per type and channel, and
each event's total per day. Both are one GROUP BY over the primary key's range of days
(day leads the key), so a year of a busy site reads a few thousand rows at most."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import AnalyticsDaily
from .period import Period
from .recorder import EVENTS

D = AnalyticsDaily


@dataclass
class Funnel:
    """One type on one channel: each event's count over the range."""

    type: str
    channel: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return self.counts.get("sent", 0)

    def rate(self, event: str) -> float | None:
        """`event`'s count per notification sent (None when nothing was sent)."""
        return self.counts.get(event, 0) / self.sent if self.sent else None


def _in(period: Period):
    return D.day.between(period.start, period.end)


def funnels(session: Session, period: Period) -> list[Funnel]:
    """The funnel of every type and channel with any event in `period`, by type, channel."""
    stmt = (
        sa.select(D.type, D.channel, D.event, sa.func.sum(D.count))
        .where(_in(period))
        .group_by(D.type, D.channel, D.event)
    )
    found: dict[tuple[str, str], Funnel] = {}
    for type_, channel, event, total in session.execute(stmt):
        funnel = found.setdefault((type_, channel), Funnel(type_, channel))
        funnel.counts[event] = int(total or 0)
    return [found[key] for key in sorted(found)]


def daily(session: Session, period: Period) -> dict[str, list[int]]:
    """Each event's total per day of `period` (every day, zeros included), in EVENTS order;
    events with no count in the range are left out."""
    stmt = (
        sa.select(D.event, D.day, sa.func.sum(D.count)).where(_in(period)).group_by(D.event, D.day)
    )
    by_event: dict[str, dict[date, int]] = defaultdict(dict)
    for event, day, total in session.execute(stmt):
        by_event[event][day] = int(total or 0)
    days = period.days
    return {
        event: [by_event[event].get(d, 0) for d in days] for event in EVENTS if event in by_event
    }
