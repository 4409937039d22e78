"""A user's notifications, their badge counter and the members of grouped rows."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .columns import UTCDateTime, utcnow


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
        # Unseen unread rows only (recount, mark all seen), like the unread index.
        sa.Index(
            "ix_tocsin_notifications_unseen",
            "user_id",
            "id",
            postgresql_where=sa.text("seen_at IS NULL AND read_at IS NULL"),
            sqlite_where=sa.text("seen_at IS NULL AND read_at IS NULL"),
        ),
        # The Archived tab (and its count): archived rows only, a small share of a user's.
        sa.Index(
            "ix_tocsin_notifications_archived",
            "user_id",
            sa.func.coalesce(sa.column("sort_id"), sa.column("id")),
            postgresql_where=sa.text("archived_at IS NOT NULL"),
            sqlite_where=sa.text("archived_at IS NOT NULL"),
        ),
        # The inbox filtered by type: keyset per type, read backwards as the list is.
        sa.Index(
            "ix_tocsin_notifications_user_type_position",
            "user_id",
            "type",
            sa.func.coalesce(sa.column("sort_id"), sa.column("id")),
        ),
        # The inbox filtered by date: a row's date is its newest member's (latest_at).
        sa.Index(
            "ix_tocsin_notifications_user_latest",
            "user_id",
            sa.func.coalesce(sa.column("updated_at"), sa.column("created_at")),
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
    def latest(self) -> datetime:
        """latest_at in SQL: what the inbox's date filter compares (indexed)."""
        return self.updated_at or self.created_at

    @latest.inplace.expression
    @classmethod
    def _latest_expression(cls) -> sa.ColumnElement[datetime]:
        return sa.func.coalesce(cls.updated_at, cls.created_at)

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
    #: Unread rows not yet seen (seen_at IS NULL): the badge when it counts unseen
    #: (TOCSIN_BADGE_COUNTS = "unseen"), changed in the same transactions as `unread`.
    unseen: Mapped[int] = mapped_column(server_default="0")


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
