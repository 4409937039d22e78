"""Who may act: server-side logins, API tokens and the idempotency keys of their publishes."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .columns import UTCDateTime, utcnow


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
