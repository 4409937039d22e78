"""Count inbox events on rows a service changed by id: once its transaction commits.

The housekeeping services know the ids they changed, not the rows' types; one indexed
SELECT inside the transaction (at most MAX_IDS ids: an action's own bound) names them,
and the count is recorded only if the transaction commits.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import state as tocsin_state
from ..models import Notification
from ..notifications.pipeline import after_commit
from .recorder import LIVE, Hit, Row

#: Most ids counted per call (housekeeping.MAX_IDS; mark-all-read's rows beyond are
#: counted by type too, in chunks).
CHUNK = 500


def on_commit(session: Session, event: str, rows: Sequence[Row], channel: str = LIVE) -> None:
    """Record `event` for `rows` once `session`'s transaction commits."""
    if not rows:
        return
    recorder = tocsin_state.current().analytics
    if recorder is None:
        return
    hits = [Hit(r.id, r.user_id, r.type) for r in rows]
    after_commit(session, lambda: recorder.record(event, channel, hits))


def ids_on_commit(
    session: Session, event: str, user_id: int, ids: Sequence[int], channel: str = LIVE
) -> list[Hit]:
    """Record `event` for the user's rows `ids` once `session`'s transaction commits;
    return them (to record another event on some of them without a second query)."""
    hits: list[Hit] = []
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = session.execute(
            sa.select(Notification.id, Notification.type).where(
                Notification.user_id == user_id, Notification.id.in_(chunk)
            )
        )
        hits += [Hit(nid, user_id, type_) for nid, type_ in found]
    on_commit(session, event, hits, channel)
    return hits


def record(event: str, rows: Sequence[Row], channel: str = LIVE) -> None:
    """Record `event` for `rows` now (the change, if any, is committed already)."""
    recorder = tocsin_state.current().analytics
    if recorder is not None and rows:
        recorder.record(event, channel, rows)
