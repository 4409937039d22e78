"""Web Push: one encrypted message per subscribed device, through its browser's push service.

Each request carries a VAPID signature (vapid.py), a TTL (a device offline for less
keeps the message; pywebpush's default of 0 would drop it), an Urgency from the priority
and a Topic from the group (a newer push of the same group replaces an unsent older one).
The payload is JSON of at most PAYLOAD_MAX bytes: title, body (cut to fit), url, id, tag
and urgent; nothing else about the user or the notification leaves the server.

What each push service answer does to a device: 201/202 sent; 404/410 the subscription
is gone and its row deleted; 413 never retried; 429 retried after its Retry-After; 5xx,
a timeout or a refused connection retried with the backoff. A delivery is one message to
all of a user's devices: it is "sent" once any device took it, and the others' failures
are not retried, so a device that took it never gets it twice (the inbox still has it).
Only when none took it does the delivery retry (to every device left), die (413 or
another refusal), or skip (no subscription left).
"""

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from flask import current_app
from pywebpush import WebPusher
from sqlalchemy.orm import Session

from .. import login_session
from ..among import Among
from ..models import Delivery, Login, Notification, PushSubscription, utcnow
from ..notifications.links import safe_link
from . import push_hosts, vapid
from .base import Permanent, QueuedChannel, Retry, Skip
from .delivery_record import MAX_BACKOFF

#: The payload's limit: under the 4 KiB a push service must accept (RFC 8030), after
#: aes128gcm's 86-byte header, 16-byte tag and padding delimiter.
PAYLOAD_MAX = 3 * 1024
URGENCY = {"low": "low", "normal": "normal", "high": "high", "urgent": "high"}
#: How long a VAPID token is good for: RFC 8292 allows at most 24 hours.
TOKEN_LIFETIME = 12 * 3600
ELLIPSIS = "…"


@dataclass(frozen=True)
class Answer:
    """What one device's push service said: sent, gone, retry (after) or refused."""

    outcome: str
    reason: str = ""
    after: float | None = None


class NoRedirects(requests.Session):
    """A session that never follows a redirect: a push service has no reason to send one,
    and following it would POST wherever the endpoint's host points (SSRF)."""

    def request(self, method, url, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


#: Who among the ids has a subscription, built once (each publish asks).
_SUBSCRIBED = Among(
    PushSubscription.user_id,
    lambda among: sa.select(PushSubscription.user_id).where(among).distinct(),
)


class PushChannel(QueuedChannel):
    """Web Push to every device the user subscribed."""

    name = "push"

    def reachable(self, session: Session, user_ids: list[int]) -> list[int]:
        """Return those of `user_ids` with at least one subscription."""
        found = set(_SUBSCRIBED.scalars(session, user_ids))
        return [uid for uid in user_ids if uid in found]

    def attempt(self, session: Session, delivery: Delivery, notification: Notification) -> None:
        """Send to each of the user's devices; return if any took it."""
        subscriptions = signed_in(session, delivery.user_id)
        if not subscriptions:
            raise Skip("no push subscription in a login still on")
        data = payload(notification)
        headers = {
            "Urgency": URGENCY.get(notification.priority, "normal"),
            "Topic": topic(notification),
        }
        with NoRedirects() as http:
            answers = [self._send(http, sub, data, headers) for sub in subscriptions]
        now = utcnow()
        for sub, answer in zip(subscriptions, answers, strict=True):
            if answer.outcome == "sent":
                sub.last_used_at = now
            elif answer.outcome == "gone":
                session.delete(sub)
        session.commit()
        decide(answers)

    def _send(self, http: requests.Session, sub: PushSubscription, data: bytes, headers) -> Answer:
        config = current_app.config
        try:
            push_hosts.check(
                sub.endpoint, push_hosts.allowed_hosts(config["TOCSIN_PUSH_ALLOWED_HOSTS"])
            )
        except push_hosts.Unresolved as exc:
            return Answer("retry", str(exc))
        except push_hosts.RefusedEndpoint as exc:
            return Answer("refused", str(exc))
        parts = urlsplit(sub.endpoint)
        claims = {
            "sub": config["TOCSIN_VAPID_SUBJECT"],
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + TOKEN_LIFETIME,
        }
        signed = {**headers, **vapid.load(current_app).sign(claims)}
        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        try:
            response = WebPusher(info, requests_session=http).send(
                data, signed, ttl=config["TOCSIN_PUSH_TTL"], timeout=config["TOCSIN_PUSH_TIMEOUT"]
            )
        except requests.RequestException as exc:
            return Answer("retry", f"push service unreachable: {type(exc).__name__}")
        return answer(response.status_code, response.headers.get("Retry-After"))


def signed_in(session: Session, user_id: int) -> list[PushSubscription]:
    """The user's devices whose login is still on; the others' rows go (committed)."""
    stmt = (
        sa.select(PushSubscription, Login)
        .outerjoin(Login, Login.id == PushSubscription.login_id)
        .where(PushSubscription.user_id == user_id)
        .order_by(PushSubscription.id)
    )
    lifetime, now = login_session.lifetime(current_app), utcnow()
    live: list[PushSubscription] = []
    gone: list[PushSubscription] = []
    for sub, login in session.execute(stmt):
        over = login is None or login.user_id != user_id or lifetime.ends_at(login) <= now
        (gone if sub.login_id is not None and over else live).append(sub)
    if gone:
        ended = PushSubscription.id.in_([sub.id for sub in gone])
        session.execute(sa.delete(PushSubscription).where(ended))
        session.commit()
    return live


def answer(status: int, retry_after: str | None) -> Answer:
    """Read a push service's status code."""
    if status in (200, 201, 202):
        return Answer("sent")
    if status in (404, 410):
        return Answer("gone", f"push service: {status}, subscription expired")
    if status == 429:
        return Answer("retry", "push service: 429 too many requests", seconds(retry_after))
    if status >= 500:
        return Answer("retry", f"push service: {status}")
    return Answer("refused", f"push service: {status}")


def decide(answers: list[Answer]) -> None:
    """Return if any device took the message; else raise what the delivery does next."""
    if any(a.outcome == "sent" for a in answers):
        return
    retries = [a for a in answers if a.outcome == "retry"]
    if retries:
        waits = [a.after for a in retries if a.after is not None]
        raise Retry(retries[0].reason, after=max(waits) if waits else None)
    refused = [a for a in answers if a.outcome == "refused"]
    if refused:
        raise Permanent(refused[0].reason)
    raise Skip(answers[0].reason if answers else "no push subscription")


def seconds(retry_after: str | None) -> float | None:
    """Read a Retry-After header (seconds or an HTTP date), capped; None if absent or bad."""
    if not retry_after:
        return None
    value = retry_after.strip()
    if value.isdigit():
        wait = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = (when - datetime.now(UTC)).total_seconds()
    return min(max(wait, 0.0), MAX_BACKOFF)


def topic(notification: Notification) -> str:
    """The Topic: the same for every push of one group (else of one notification), 32
    base64url characters as RFC 8030 requires, saying nothing of the group's name."""
    key = f"group:{notification.group_key}" if notification.group_key else f"id:{notification.id}"
    digest = hashlib.sha256(key.encode()).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode()


def payload(notification: Notification) -> bytes:
    """The JSON the service worker shows, at most PAYLOAD_MAX bytes (the body cut to fit;
    past that the url, then the title)."""
    fields = {
        "title": notification.title,
        "body": notification.body or "",
        "url": safe_link(notification.url),
        "id": notification.id,
        "tag": f"tocsin-{topic(notification)}",
        "urgent": notification.priority == "urgent",
    }
    data = _encode(fields)
    if len(data) <= PAYLOAD_MAX:
        return data
    fields["body"] = _fit(fields, "body")
    if len(_encode(fields)) > PAYLOAD_MAX:
        fields["url"] = None  # the click opens the notification by id, which redirects
        fields["title"] = _fit(fields, "title")
    return _encode(fields)


def _fit(fields: dict, name: str) -> str:
    """The longest prefix of fields[name] (with an ellipsis) that keeps the payload in bounds."""
    text = fields[name]
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if len(_encode({**fields, name: text[:mid] + ELLIPSIS})) <= PAYLOAD_MAX:
            low = mid
        else:
            high = mid - 1
    return text[:low] + ELLIPSIS if low else ""


def _encode(fields: dict) -> bytes:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
