"""Database models: logins, notifications, unread counters, API tokens, broker events,
each user's delivery preferences with the deliveries they held back, and the deliveries
beyond the open tab (push, email) with the push subscriptions they go to.

No users: recipients are user ids of whatever app Tocsin runs in (no foreign keys).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import Model

#: Ids are INTEGER columns: PostgreSQL refuses larger values outright, so inputs beyond
#: this are answered as "no such id" before they reach a query.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Store UTC timestamps and always hand back aware datetimes (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use an aware UTC datetime")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Login(Model):
    """A signed-in session, so that logging out ends it on the server, not just in one cookie."""

    __tablename__ = "tocsin_logins"

    #: The random id the signed session cookie carries as ``session["sid"]``.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: A user of whatever app Tocsin runs in (no foreign key, as in notifications).
    user_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The last request, to within a minute: it is written at most that often.
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Model):
    __tablename__ = "tocsin_notifications"
    # AUTOINCREMENT keeps SQLite from reusing ids: clients dedupe and paginate by id.
    __table_args__ = (
        # Panel and inbox pages: keyset on (user_id, position), read backwards, no sort.
        sa.Index(
            "ix_tocsin_notifications_user_position",
            "user_id",
            sa.func.coalesce(sa.column("sort_id"), sa.column("id")),
        ),
        # Unread rows only (recount, mark all read): stays small however much history a
        # user keeps.
        sa.Index(
            "ix_tocsin_notifications_unread",
            "user_id",
            "id",
            postgresql_where=sa.text("read_at IS NULL"),
            sqlite_where=sa.text("read_at IS NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The recipient: the id of a user of whatever app Tocsin runs in (no foreign key,
    #: as a host app's users live in its own table).
    user_id: Mapped[int] = mapped_column()
    type: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str | None] = mapped_column(sa.Text)
    url: Mapped[str | None] = mapped_column(sa.String(2048))
    priority: Mapped[str] = mapped_column(sa.String(10), default="normal")
    data: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))  # None is SQL NULL
    actor: Mapped[str | None] = mapped_column(sa.String(120))
    group_key: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The action the user took (one its type declares), what the item says since, and when.
    action_taken: Mapped[str | None] = mapped_column(sa.String(40))
    outcome: Mapped[str | None] = mapped_column(sa.String(200))
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Where the row sorts once its group has grown: a fresh value drawn from the id
    #: sequence, so above every id so far. None = its own id (every row that never grew).
    sort_id: Mapped[int | None] = mapped_column()
    #: How many notifications this row stands for (grouping by group_key); 1 = not grouped.
    group_count: Mapped[int] = mapped_column(default=1, server_default="1")
    #: A grown group's distinct actors, newest first (capped); None while it is one.
    actors: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True))
    #: When the group last grew; None = created_at.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Archived rows leave the panel and the inbox's default list; archiving reads them.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def latest_at(self) -> datetime:
        """When the row last changed by a notification: its newest member's time."""
        return self.updated_at or self.created_at

    @hybrid_property
    def position(self) -> int:
        """The list's order and keyset (`before`, `up_to`, `since`): the id, or the fresh
        sort_id a grown group took."""
        return self.sort_id or self.id

    @position.inplace.expression
    @classmethod
    def _position_expression(cls) -> sa.ColumnElement[int]:
        # Exactly the index's expression, so that both databases use the index.
        return sa.func.coalesce(cls.sort_id, cls.id)


class UnreadCounter(Model):
    """The badge count, changed in the same transaction as every read-state change."""

    __tablename__ = "tocsin_unread_counters"

    user_id: Mapped[int] = mapped_column(primary_key=True)
    unread: Mapped[int] = mapped_column(default=0)


class ApiToken(Model):
    """A bearer token for the HTTP API; only its hash is stored."""

    __tablename__ = "tocsin_api_tokens"
    __table_args__ = (
        # A revoked token's name may be given to a new one.
        sa.Index(
            "ix_tocsin_api_tokens_active_name",
            "name",
            unique=True,
            postgresql_where=sa.text("revoked_at IS NULL"),
            sqlite_where=sa.text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    #: The token's first characters, to tell tokens apart in a listing; not enough to use.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    #: SHA-256 of the token, hex: tokens are random, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(Model):
    """A publish request's Idempotency-Key, with its body's hash and the response it got."""

    __tablename__ = "tocsin_idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("tocsin_api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(255))
    #: SHA-256 of the canonical JSON body: the same key with another body is refused.
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int] = mapped_column()
    response: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class BrokerEvent(Model):
    """A doorbell row for the embedded broker: other processes poll for new ids."""

    __tablename__ = "tocsin_broker_events"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column()
    payload: Mapped[dict] = mapped_column(sa.JSON)
    origin: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


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


class GroupMember(Model):
    """One notification merged into a grouped row: who and when, for the expanded group.

    Written only once a group grows (its first member is copied from the row then), so an
    ungrouped notification costs no row here.
    """

    __tablename__ = "tocsin_group_members"
    __table_args__ = (
        sa.Index("ix_tocsin_group_members_notification_id_id", "notification_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    actor: Mapped[str | None] = mapped_column(sa.String(120))
    title: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str | None] = mapped_column(sa.String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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


#: Tocsin's tables: its migrations create and compare these and no others (the app's
#: own tables may share the database and even the SQLAlchemy metadata).
TABLES = frozenset(
    model.__tablename__
    for model in (
        Login,
        Notification,
        UnreadCounter,
        ApiToken,
        IdempotencyKey,
        BrokerEvent,
        Preference,
        Held,
        GroupMember,
        Undo,
        Delivery,
        PushSubscription,
        Presence,
    )
)
