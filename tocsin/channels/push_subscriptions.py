"""Browsers' Web Push subscriptions: validated, one per device, scoped to their user.

A subscription is what `PushSubscription.toJSON()` gives: the endpoint (a capability URL
at the browser's push service) and two keys. The endpoint is unique, so a device holds
one row: subscribing again updates it, and a device whose browser now belongs to another
login moves to that user (the browser keeps one subscription per site whoever is logged
in, and only that browser knows its endpoint: the newest login on a device gets its
pushes, the previous one stops getting them there).
"""

import base64
import binascii
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import PushSubscription, utcnow
from . import push_hosts

#: The receiver's public key: an uncompressed P-256 point (0x04, x, y).
P256DH_BYTES = 65
#: The authentication secret.
AUTH_BYTES = 16
#: Devices per user: the oldest unused goes when a new one subscribes. Bounds a send's
#: time too: one delivery POSTs to each device in turn, each under TOCSIN_PUSH_TIMEOUT.
MAX_DEVICES = 10
LABEL_MAX = 120
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class InvalidSubscription(ValueError):
    """A subscription the server refuses; the message says why (shown to the user)."""


@dataclass(frozen=True)
class SubscriptionInput:
    endpoint: str
    p256dh: str
    auth: str


def parse(data: object, allowed: frozenset[str]) -> SubscriptionInput:
    """Check a posted subscription (`{"endpoint", "keys": {"p256dh", "auth"}}`)."""
    if not isinstance(data, dict):
        raise InvalidSubscription("send the subscription as a JSON object")
    endpoint, keys = data.get("endpoint"), data.get("keys")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidSubscription("endpoint is required")
    if not isinstance(keys, dict):
        raise InvalidSubscription("keys.p256dh and keys.auth are required")
    try:
        push_hosts.check(endpoint, allowed)
    except push_hosts.RefusedEndpoint as exc:
        raise InvalidSubscription(str(exc)) from exc
    p256dh = _key(keys.get("p256dh"), "p256dh", P256DH_BYTES)
    if base64.urlsafe_b64decode(_padded(p256dh))[0] != 4:
        raise InvalidSubscription("keys.p256dh must be an uncompressed P-256 public key")
    return SubscriptionInput(endpoint, p256dh, _key(keys.get("auth"), "auth", AUTH_BYTES))


def _key(value: object, name: str, size: int) -> str:
    if not isinstance(value, str) or len(value) > 200 or not _B64URL.fullmatch(value):
        raise InvalidSubscription(f"keys.{name} must be base64url")
    try:
        raw = base64.urlsafe_b64decode(_padded(value))
    except (binascii.Error, ValueError) as exc:
        raise InvalidSubscription(f"keys.{name} must be base64url") from exc
    if len(raw) != size:
        raise InvalidSubscription(f"keys.{name} must be {size} bytes")
    return value.rstrip("=")


def _padded(value: str) -> str:
    value = value.rstrip("=")
    return value + "=" * (-len(value) % 4)


def subscribe(
    session: Session, user_id: int, sub: SubscriptionInput, label: str, login_id: str | None
) -> PushSubscription:
    """Store the device's subscription for the user in this login (updating or moving its
    row); commit."""
    try:
        return _store(session, user_id, sub, label, login_id)
    except sa.exc.IntegrityError:
        # The same device subscribed twice at once and the other request inserted first:
        # its row is there now, so this one updates it.
        session.rollback()
        return _store(session, user_id, sub, label, login_id)


def _store(
    session: Session, user_id: int, sub: SubscriptionInput, label: str, login_id: str | None
) -> PushSubscription:
    row = session.scalar(
        sa.select(PushSubscription).where(PushSubscription.endpoint == sub.endpoint)
    )
    if row is None:
        row = PushSubscription(endpoint=sub.endpoint, user_id=user_id)
        session.add(row)
    row.user_id, row.p256dh, row.auth = user_id, sub.p256dh, sub.auth
    row.label, row.created_at, row.login_id = label[:LABEL_MAX], utcnow(), login_id
    session.flush()
    _keep_newest(session, user_id)
    session.commit()
    return row


def _keep_newest(session: Session, user_id: int) -> None:
    used = sa.func.coalesce(PushSubscription.last_used_at, PushSubscription.created_at)
    extra = session.scalars(
        sa.select(PushSubscription.id)
        .where(PushSubscription.user_id == user_id)
        .order_by(used.desc(), PushSubscription.id.desc())
        .offset(MAX_DEVICES)
    ).all()
    if extra:
        session.execute(sa.delete(PushSubscription).where(PushSubscription.id.in_(extra)))


def unsubscribe(
    session: Session,
    user_id: int,
    *,
    subscription_id: int | None = None,
    endpoint: str | None = None,
) -> bool:
    """Delete one of the user's subscriptions, by id or endpoint; False if the user has no
    such subscription (another user's included). Commits."""
    where = [PushSubscription.user_id == user_id]
    if subscription_id is not None:
        where.append(PushSubscription.id == subscription_id)
    elif endpoint is not None:
        where.append(PushSubscription.endpoint == endpoint)
    else:
        return False
    deleted = session.execute(sa.delete(PushSubscription).where(*where)).rowcount  # type: ignore[attr-defined]
    session.commit()
    return deleted > 0


def of_user(session: Session, user_id: int) -> list[PushSubscription]:
    """Return the user's devices, newest first."""
    stmt = sa.select(PushSubscription).where(PushSubscription.user_id == user_id)
    return list(session.scalars(stmt.order_by(PushSubscription.id.desc())))


#: (pattern in the User-Agent, name), first match wins: Edge and Opera say "Chrome" too.
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def label_from(user_agent: str) -> str:
    """Name a device after its User-Agent: "Firefox on Android"; "Browser" if unknown."""
    browser = next((name for key, name in BROWSERS if key in user_agent), "Browser")
    system = next((name for key, name in SYSTEMS if key in user_agent), None)
    return f"{browser} on {system}" if system else browser
