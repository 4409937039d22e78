"""The embedded broker's doorbell rows."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .columns import UTCDateTime, utcnow


class BrokerEvent(Model):
    """A doorbell row for the embedded broker: other processes poll for new ids."""

    __tablename__ = "tocsin_broker_events"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column()
    payload: Mapped[dict] = mapped_column(sa.JSON)
    origin: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
