"""What the HTTP API does: publish (once per Idempotency-Key), list, mark read."""

from sqlalchemy.orm import Session

from .. import state
from ..notifications import pipeline
from . import idempotency
from .idempotency import Outcome
from .schemas import NewNotification


class UnknownUser(LookupError):
    """No user has that name or id."""


def create(
    session: Session,
    token_id: int,
    new: NewNotification,
    key: str | None = None,
    body_hash: str = "",
    ttl: int = 24 * 3600,
) -> Outcome:
    """Create one notification per recipient; with a key, only the first time.

    Commits the request's session (the key's record with the rows). Raises
    pipeline.UnknownRecipients or idempotency.KeyReused; creates nothing then.
    """
    if key is not None:
        earlier = idempotency.replay(session, token_id, key, body_hash, ttl)
        if earlier is not None:
            return earlier
    try:
        record = key and idempotency.claim(session, token_id, key, body_hash, ttl)
        ids = pipeline.publish(session, new.recipients, new.content(), entry="api")
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
    return Outcome(201, body)


def user_id(session: Session, user: str) -> int:
    """Return the id of the user named `user`, or of user N for ``id:N`` (recipients.parse_ref)."""
    ids, _ = state.current().directory.resolve(session, [user])
    if not ids:
        raise UnknownUser(user)
    return ids[0]
