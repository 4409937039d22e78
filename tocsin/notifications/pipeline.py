"""One way in for all: validate → resolve → policy → group → store → stage → commit → announce.

The Python API (notify, notify_many), the HTTP API, the CLI and action handlers all
come through `publish`. It validates nothing itself (its `content` is a checked
NotificationInput), writes in the transaction of the session it is given and never
commits or rolls that back: whoever opened the transaction ends it. Once that
transaction commits, each channel delivers what the policy let through; if it rolls
back, nothing is announced. A channel that must not lose a delivery to a crash after the
commit (the queued ones: push, email) stages its rows in the same transaction first.
Persist first, push second: a broker that is down loses no row, since every client's
next snapshot reads the database.
"""

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached

from .. import broker, logs, metrics
from .. import state as tocsin_state
from ..analytics.recorder import LIVE as LIVE_ANALYTICS
from ..models import Notification
from . import grouping, store
from . import preferences as prefs_
from .channels import LiveChannel
from .decisions import Decision
from .policy import Plan
from .preferences import Preferences
from .validation import InvalidNotification, NotificationInput

log = logging.getLogger(__name__)

#: session.info key: what to announce when the session's transaction commits.
PENDING = "tocsin.announce"
#: The channel that tells open tabs; a grown group is news to them on it, not a new one.
LIVE = LiveChannel.name
#: Unknown recipients named in an error message; the rest are counted.
SHOWN_UNKNOWN = 20


class UnknownRecipients(InvalidNotification):
    """Some recipients match no user; `unknown` lists every one."""

    def __init__(self, unknown: list) -> None:
        shown = ", ".join(repr(u) for u in unknown[:SHOWN_UNKNOWN])
        more = f" and {len(unknown) - SHOWN_UNKNOWN} more" if len(unknown) > SHOWN_UNKNOWN else ""
        super().__init__(f"recipients: unknown {shown}{more}")
        self.unknown = unknown


def publish(
    session: Session,
    refs: Sequence[int | str],
    content: NotificationInput,
    entry: str = "python",
) -> list[int]:
    """Store a notification per recipient in `session`'s transaction; return the ids.

    Each channel delivers after that transaction commits. Raises UnknownRecipients or
    InvalidNotification before anything is written. `entry` names the caller for the
    metrics and logs: python, api, cli or service.
    """
    return _publish(session, refs, content, entry, whole=False)[0]


def publish_rows(
    session: Session,
    refs: Sequence[int | str],
    content: NotificationInput,
    entry: str = "python",
) -> tuple[list[int], dict[int, sa.Row]]:
    """`publish`, and the new rows as stored (every column, by id): what notify() hands
    back without reading it again. A recipient whose notification joined an open group
    has its id in the list but no row here: that row changed, and is read as it is now."""
    return _publish(session, refs, content, entry, whole=True)


def as_loaded(row: sa.Row) -> Notification:
    """The Notification a query would have loaded for one of `publish_rows`' rows, not yet
    in a session (merge it with load=False: no query)."""
    notification = Notification(**row._mapping)
    make_transient_to_detached(notification)  # no pending changes: as if just loaded
    return notification


def _publish(
    session: Session,
    refs: Sequence[int | str],
    content: NotificationInput,
    entry: str,
    whole: bool,
) -> tuple[list[int], dict[int, sa.Row]]:
    started = time.perf_counter()
    recipients, prefs = resolve_with_preferences(session, refs)
    state = tocsin_state.current()
    channels = [c.name for c in state.channels]
    plan = state.policy.plan(session, recipients, channels, content, prefs=prefs)
    grown = grouping.merge(session, recipients, content, plan.now) if content.group_key else {}
    fresh = [uid for uid in recipients if uid not in grown] if grown else recipients
    rows: dict[int, sa.Row] = {}
    if whole and fresh:
        new = store.insert_rows(session, fresh, content)
        rows = {row.id: row for row in new}
        by_user = dict(zip(fresh, rows, strict=True))
    else:
        inserted = store.insert(session, fresh, content) if fresh else []
        by_user = dict(zip(fresh, inserted, strict=True))
    if grown:
        by_user = {uid: grown.get(uid) or by_user[uid] for uid in recipients}  # recipient order
        plan = collapse(plan, frozenset(grown))
    ids = list(by_user.values())
    store.hold(session, plan, by_user, [c.name for c in state.channels if c.keeps_holds])
    for channel in state.channels:
        channel.stage(session, plan, by_user, content)

    # Analytics: every new row is "sent" in the app (the live channel shows it, toast or
    # not); a row that grew is not sent again. Counted once the commit happened.
    sent = by_user.items() if not grown else [(u, by_user[u]) for u in fresh]  # no copy

    def announce() -> None:
        if state.analytics is not None:
            state.analytics.record_many("sent", LIVE_ANALYTICS, content.type, sent)
        for channel in state.channels:
            try:
                channel.send(plan, by_user)
            except Exception:
                # Committed already: the inbox and the next snapshot still show the rows.
                log.exception("channel %s: delivery failed", channel.name)
        took = time.perf_counter() - started
        metrics.PUBLISH_SECONDS.observe(took)
        log.info("publish", extra=_told(entry, content.type, ids, recipients, took))

    after_commit(session, announce)
    metrics.PUBLISHES.labels(entry).inc()
    metrics.NOTIFICATIONS.inc(len(ids))
    return ids, rows


def _told(entry: str, type_: str, ids: list[int], recipients: list[int], took: float) -> dict:
    """A publish's log fields: ids, counts and time, never its content."""
    user = recipients[0] if len(recipients) == 1 else None
    return logs.fields(
        entry=entry,
        type=type_,
        notification_ids=logs.ids(ids),
        count=len(ids),
        user_id=user,
        duration_ms=round(took * 1000, 2),
    )


def collapse(plan: Plan, grouped: frozenset[int]) -> Plan:
    """The plan once `grouped` recipients joined an open group: the live channel tells
    their tabs the row grew (channels.py); other channels fold it into the delivery
    already made instead of sending a new one."""
    decisions = {
        channel: {
            uid: Decision.COLLAPSE if uid in grouped and d is Decision.DELIVER else d
            for uid, d in by_uid.items()
        }
        if channel != LIVE
        else by_uid
        for channel, by_uid in plan.decisions.items()
    }
    return replace(plan, decisions=decisions, grouped=grouped)


def resolve(session: Session, refs: Sequence[int | str]) -> list[int]:
    """Return recipient ids for ids or names, once each; raise if none or some unknown."""
    if not refs:
        raise InvalidNotification("recipients: at least one is needed")
    ids, unknown = tocsin_state.current().directory.resolve(session, refs)
    if unknown:
        raise UnknownRecipients(unknown)
    return ids


def resolve_with_preferences(
    session: Session, refs: Sequence[int | str]
) -> tuple[list[int], Mapping[int, Preferences] | None]:
    """`resolve`, and the recipients' preferences in the same query where the directory
    can join them to its users (ModelDirectory); None where it cannot (the policy then
    reads them)."""
    directory = tocsin_state.current().directory
    joined = getattr(directory, "resolve_joined", None)
    if joined is None or not refs:
        return resolve(session, refs), None
    ids, unknown, rows = joined(session, refs, prefs_.COLUMNS)
    if unknown:
        raise UnknownRecipients(unknown)
    return ids, prefs_.shared(rows.values())


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call `callback` once `session`'s current transaction commits; forget it on rollback."""
    session.info.setdefault(PENDING, []).append(callback)


def _run_pending(session: Session) -> None:
    for callback in session.info.pop(PENDING, ()):
        callback()


def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (after_commit ran first otherwise).
    if transaction.parent is None:
        session.info.pop(PENDING, None)


# Listened for on the Session class once, for every session of the process (a host's
# too: with nothing pending, each is a dict lookup). Listening on each session instead
# gave every publish's own session a dispatcher of its own: 0.2 ms and a few hundred
# objects in reference cycles, which the garbage collector then had to walk.
sa.event.listen(Session, "after_commit", _run_pending)
sa.event.listen(Session, "after_transaction_end", _drop_pending)


def tell_prefs_changed(session: Session, user_ids: Sequence[int]) -> None:
    """Once `session` commits, tell the users' tabs their preferences or snooze changed:
    `{"kind": "prefs"}`, on which each tab re-renders the snooze banner (live/push.py)."""
    ids = list(user_ids)

    def tell() -> None:
        for user_id in ids:
            broker.current().publish(user_id, {"kind": "prefs"})

    after_commit(session, tell)
