"""What the inbox keeps beside the notifications: undo records and saved filters."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .columns import UTCDateTime, utcnow


class Undo(Model):
    """What it takes to revert an archive, delete or mark-all-read exactly, for a few
    seconds after it (an Undo button in a toast). The id is the random token the button
    posts; expired rows are pruned."""

    __tablename__ = "tocsin_undo"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column()
    #: archive | delete | read_all (and their bulk forms)
    action: Mapped[str] = mapped_column(sa.String(16))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SavedFilter(Model):
    """A user's named inbox query (the query string of /notifications), in the sidebar."""

    __tablename__ = "tocsin_saved_filters"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(80))
    #: The inbox's query string as the inbox normalised it (state, type, q, since, until).
    query: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
