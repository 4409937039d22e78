"""Each user's delivery preferences, and the deliveries they held back."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .columns import UTCDateTime, utcnow


class Preference(Model):
    """A user's delivery preferences, schedule and snooze; no row means the defaults.

    Read once per publish for all its recipients (notifications/preferences.py).
    """

    __tablename__ = "tocsin_preferences"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: An IANA name; None until the browser tells it on a first visit (UTC meanwhile).
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    #: Quiet hours as local "HH:MM" wall-clock times; both None = no quiet hours.
    quiet_start: Mapped[str | None] = mapped_column(sa.String(5))
    quiet_end: Mapped[str | None] = mapped_column(sa.String(5))
    sound: Mapped[bool] = mapped_column(default=True)
    #: Urgent notifications come through quiet hours and snooze (critical ones always do).
    urgent_through: Mapped[bool] = mapped_column(default=True)
    #: off | hourly | daily: how held and unread emails go out (the email channel).
    digest: Mapped[str] = mapped_column(sa.String(8), default="off")
    #: {type: {channel: bool}}, as last saved; a type or channel missing takes its default.
    channels: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Snoozed since; None = not snoozed. With snooze_until None: until the user resumes.
    snoozed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snooze_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: When the last digest email went out (its next one lists what came after).
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The language the user chose ("de"); None follows the browser (Accept-Language).
    locale: Mapped[str | None] = mapped_column(sa.String(16))


class Held(Model):
    """A delivery the policy held back (quiet hours, snooze), waiting for the catch-up.

    Inserted in the publish's transaction; whoever deletes a user's rows owns their summary,
    so it is sent once across tabs, processes and restarts.
    """

    __tablename__ = "tocsin_held"
    __table_args__ = (
        sa.Index("ix_tocsin_held_user_id_channel", "user_id", "channel"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column()
    notification_id: Mapped[int] = mapped_column()
    channel: Mapped[str] = mapped_column(sa.String(16))
    #: quiet | snooze | rule | rate: why it was held, for the summary's wording.
    reason: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
