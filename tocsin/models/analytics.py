"""What happened to notifications, for the analytics page: daily counts per type, channel
and event, and (optionally, with a retention) the raw events they were counted from.

Counts are added in batches off the publish path (analytics/flush.py), so a
million notifications a day cost a few hundred upserts, not a million inserts.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .columns import UTCDateTime, utcnow


class AnalyticsDaily(Model):
    """How many notifications of one type had one event on one channel on one UTC day."""

    __tablename__ = "tocsin_analytics_daily"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    #: live | browser | push | email (and a host's channels)
    channel: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    #: sent | delivered | seen | read | clicked | dismissed | archived | acted
    event: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class AnalyticsEvent(Model):
    """One event of one notification, kept only when TOCSIN_ANALYTICS_RAW is on and pruned
    after TOCSIN_ANALYTICS_RETENTION_DAYS. Never any content: ids, type, channel, event."""

    __tablename__ = "tocsin_analytics_events"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    type: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[str] = mapped_column(sa.String(16))
    event: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
