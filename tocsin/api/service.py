"""What the HTTP API does: publish (once per Idempotency-Key), list, mark read."""

from collections.abc import Sequence

from flask import current_app
from sqlalchemy.orm import Session

from ..notifications.publish import announce, insert
from . import idempotency
from .idempotency import Outcome
from .schemas import NewNotification


class UnknownRecipients(LookupError):
    """Some recipients match no user; `unknown` lists them all."""

    def __init__(self, unknown: list) -> None:
        super().__init__(f"unknown recipients: {len(unknown)}")
        self.unknown = unknown


class UnknownUser(LookupError):
    """No user has that name or id."""


def publish(session: Session, token_id: int, new: NewNotification, key: str | None = None,
            body_hash: str = "", ttl: int = 24 * 3600) -> Outcome:
    """Create one notification per recipient; with a key, only the first time.

    Raises InvalidNotification, UnknownRecipients or idempotency.KeyReused; creates
    nothing then.
    """
    if key is not None:
        earlier = idempotency.replay(session, token_id, key, body_hash, ttl)
        if earlier is not None:
            return earlier
    payload = new.payload()
    recipients = resolve(session, new.recipients)
    try:
        record = key and idempotency.claim(session, token_id, key, body_hash, ttl)
        ids = insert(session, recipients, payload)
        body = {"ids": ids, "recipients": len(ids)}
        if record:
            record.status, record.response = 201, body
        session.commit()
    except idempotency.KeyTaken:
        assert key is not None  # only a claim, made with a key, raises KeyTaken
        # A concurrent request with the same key won; it has committed, so its answer is ours.
        earlier = idempotency.replay(session, token_id, key, body_hash, ttl)
        if earlier is None:
            raise
        return earlier
    except Exception:
        session.rollback()
        raise
    announce(recipients, ids)
    return Outcome(201, body)


def resolve(session: Session, refs: Sequence[int | str]) -> list[int]:
    """Return the recipients' ids, once each; raise UnknownRecipients listing every miss."""
    ids, unknown = current_app.extensions["tocsin"].directory.resolve(session, refs)
    if unknown:
        raise UnknownRecipients(unknown)
    return ids


def user_id(session: Session, user: str) -> int:
    """Return the id of the user named `user`, or of user N for ``id:N`` (recipients.parse_ref)."""
    ids, _ = current_app.extensions["tocsin"].directory.resolve(session, [user])
    if not ids:
        raise UnknownUser(user)
    return ids[0]
