"""Deliveries beyond the open tab (push, email), the push subscriptions they go to, and
who has a visible tab."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .columns import UTCDateTime, utcnow


class Delivery(Model):
    """One notification on one channel beyond the open tab (push, email): queued once,
    then sent, skipped (read already, no device, a visible tab), failed (tried again
    after a backoff) or dead (out of attempts, or refused for good).

    Inserted in the publish's transaction, so a queue that was down when the publish
    committed loses nothing: the sweep enqueues whatever is due and still queued. The
    unique (notification, channel) makes each channel deliver at most once; a worker
    owns a row while `claimed_until` is ahead (channels/deliveries.py).
    """

    __tablename__ = "tocsin_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("notification_id", "channel"),
        sa.Index("ix_tocsin_deliveries_state_due_at", "state", "due_at"),
        sa.Index("ix_tocsin_deliveries_user_id_channel", "user_id", "channel"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    #: push | email (and a host's channels)
    channel: Mapped[str] = mapped_column(sa.String(16))
    #: queued | sent | skipped | failed | dead
    state: Mapped[str] = mapped_column(sa.String(8), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    #: Why the last attempt failed, or why the delivery was skipped (never content).
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: When it may go out: at once, after an escalation delay, or after a retry's backoff.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: A worker sending it holds it until then; past it, another may take it over.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushSubscription(Model):
    """One browser's Web Push subscription (one per device: the endpoint is unique)."""

    __tablename__ = "tocsin_push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(2048), unique=True)
    #: The browser's keys (base64url): p256dh, the receiver's public key, and auth.
    p256dh: Mapped[str] = mapped_column(sa.String(200))
    auth: Mapped[str] = mapped_column(sa.String(64))
    #: What the device calls itself (from the User-Agent), for the preferences page.
    label: Mapped[str] = mapped_column(sa.String(120), default="")
    #: The login (tocsin_logins) it was made in: once that login ends (a logout, "log out
    #: other sessions", expiry), the device gets no more pushes, so a shared browser does
    #: not show the next user someone else's notifications.
    login_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Presence(Model):
    """One open tab and whether it is visible, for processes to ask across the deployment
    whether a user would see a toast (push and browser notifications wait for none).

    Kept in the database when there is no Redis (channels/presence.py); a row outlives a
    crashed process only until `expires_at`, which the socket's process keeps pushing on.
    """

    __tablename__ = "tocsin_presence"

    #: The socket's id in its process, prefixed with the process's: unique in the deployment.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    visible: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
