"""Idempotency-Key: a publish request sent again gets the first one's response.

A key belongs to one token. Its row holds the hash of the request body and the response,
and is inserted in the same transaction as the notifications, before them: a concurrent
request with the same key waits on the unique index until the first one commits (on
PostgreSQL; on SQLite writers take turns anyway), then fails to insert and reads the
stored response instead. Nothing is ever created twice, and nothing is stored for a
request that created nothing.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import IdempotencyKey, utcnow

HEADER = "Idempotency-Key"
#: 1-255 printable ASCII characters, no space at either end (servers strip it).
KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?$"
KEY_RE = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class Outcome:
    """What a publish request answered: the status and the JSON body."""

    status: int
    body: dict
    replayed: bool = False


class KeyReused(ValueError):
    """The key was used before with a different request body."""


class KeyTaken(RuntimeError):
    """A concurrent request claimed the key first (and has committed)."""


def valid_key(key: str) -> bool:
    return KEY_RE.fullmatch(key) is not None


def request_hash(body: object) -> str:
    """Hash the parsed JSON body canonically: key order and spacing do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(session: Session, token_id: int, key: str, body_hash: str, ttl: int) -> Outcome | None:
    """Return the stored outcome for the key, None if unused or expired; raise KeyReused."""
    record = _find(session, token_id, key)
    if record is None or _expired(record, ttl):
        return None
    if record.request_hash != body_hash:
        raise KeyReused(key)
    return Outcome(record.status, record.response, replayed=True)


def claim(session: Session, token_id: int, key: str, body_hash: str, ttl: int) -> IdempotencyKey:
    """Insert the key's row in the caller's transaction; raise KeyTaken if another has it.

    Waits for a concurrent claim of the same key to commit or roll back. The caller sets
    the response and commits along with what the request created.
    """
    session.execute(
        sa.delete(IdempotencyKey).where(
            IdempotencyKey.token_id == token_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at < utcnow() - timedelta(seconds=ttl),
        )
    )
    record = IdempotencyKey(
        token_id=token_id, key=key, request_hash=body_hash, status=0, response={}
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise KeyTaken(key) from None
    return record


def purge_expired(session: Session, ttl: int) -> int:
    """Delete every key older than `ttl` seconds; return how many."""
    deleted = cast(
        sa.CursorResult,
        session.execute(  # a DELETE's Result is a CursorResult
            sa.delete(IdempotencyKey).where(
                IdempotencyKey.created_at < utcnow() - timedelta(seconds=ttl)
            )
        ),
    ).rowcount
    session.commit()
    return deleted


def _find(session: Session, token_id: int, key: str) -> IdempotencyKey | None:
    return session.scalar(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.token_id == token_id, IdempotencyKey.key == key
        )
    )


def _expired(record: IdempotencyKey, ttl: int) -> bool:
    return record.created_at < utcnow() - timedelta(seconds=ttl)
