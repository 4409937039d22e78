"""A user's delivery preferences: channels per type, timezone, quiet hours, sound, snooze.

Users without a row have the defaults. The policy stage reads every recipient's row with
one query per batch (`load_many`), however many recipients a publish has.
"""

import json
from collections import namedtuple
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from types import MappingProxyType
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..among import CHUNK as CHUNK  # re-exported: ids per query elsewhere than PostgreSQL
from ..among import Among
from ..models import Preference
from . import schedule
from .types import NotificationType

#: The channels a user chooses per type; only the open tab's toast exists so far.
CHANNELS = ("toast", "browser", "push", "email")
DIGESTS = ("off", "hourly", "daily")


@dataclass(frozen=True)
class Preferences:
    """One user's preferences, read-only; `DEFAULTS` for users without a row."""

    timezone: str | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None
    sound: bool = True
    urgent_through: bool = True
    digest: str = "off"
    #: {type: {channel: bool}} as the user saved it; what is missing takes the default.
    channels: Mapping[str, Mapping[str, bool]] = field(default_factory=lambda: MappingProxyType({}))
    snoozed_at: datetime | None = None
    snooze_until: datetime | None = None
    #: The language chosen; None follows the browser (notifications/locales.py).
    locale: str | None = None
    #: `paused`'s last moment and answer: a publish asks it once per channel.
    _paused_at: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return schedule.zone(self.timezone)

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start is not None and self.quiet_end is not None

    def wants(self, type_: NotificationType, channel: str) -> bool:
        """Whether `type_` goes out on `channel`; a critical type always does, and so does
        every type on a channel users have no choice about (not in CHANNELS)."""
        if type_.critical or channel not in CHANNELS:
            return True
        chosen = self.channels.get(type_.name, {}).get(channel)
        return (channel in type_.channels) if chosen is None else bool(chosen)

    def is_quiet(self, now: datetime) -> bool:
        """Whether `now` falls in the user's quiet hours."""
        return schedule.is_quiet(now, self.quiet_start, self.quiet_end, self.tz)

    def is_snoozed(self, now: datetime) -> bool:
        """Whether the user has paused notifications and the pause has not run out."""
        if self.snoozed_at is None:
            return False
        return self.snooze_until is None or now < self.snooze_until

    def paused(self, now: datetime) -> str | None:
        """ "snooze" or "quiet" while deliveries are held back, else None."""
        last = self._paused_at  # one tuple: a greenlet in between sees a pair or the other
        if last is not None and last[0] == now:
            return last[1]
        answer = "snooze" if self.is_snoozed(now) else "quiet" if self.is_quiet(now) else None
        # Every rule of one publish shares its `now`: the time-zone arithmetic runs once
        # per recipient, not once per channel (4x in a fan-out with quiet hours, issue 16).
        object.__setattr__(self, "_paused_at", (now, answer))
        return answer


DEFAULTS = Preferences()


def from_row(row: "Preference | sa.Row | _Row") -> Preferences:
    """The Preferences a stored row says."""
    return Preferences(
        timezone=row.timezone,
        quiet_start=_time(row.quiet_start),
        quiet_end=_time(row.quiet_end),
        sound=row.sound,
        urgent_through=row.urgent_through,
        digest=row.digest,
        channels=MappingProxyType(
            {t: MappingProxyType(dict(c)) for t, c in (row.channels or {}).items()}
        ),
        snoozed_at=row.snoozed_at,
        snooze_until=row.snooze_until,
        locale=row.locale,
    )


def _time(text: str | None) -> time | None:
    if not text:
        return None
    try:
        return schedule.parse_hhmm(text)
    except ValueError:
        return None  # a row written by hand: no quiet hours rather than a failed publish


def load(session: Session, user_id: int) -> Preferences:
    """The user's preferences (the defaults without a row)."""
    row = session.get(Preference, user_id)
    return DEFAULTS if row is None else from_row(row)


def load_many(session: Session, user_ids: Iterable[int]) -> dict[int, Preferences]:
    """The preferences of those of `user_ids` that have a row: one query per batch.

    All at once on PostgreSQL (one array parameter), in chunks elsewhere (among.py).
    """
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return shared(_AMONG.rows(session, ids))


def shared(rows: Iterable[tuple]) -> dict[int, Preferences]:
    """{user id: Preferences} for rows of COLUMNS' values (the user id first)."""
    found: dict[int, Preferences] = {}
    # Plain rows, not ORM objects (10,000 of those cost more than the query), and one
    # Preferences for equal rows: the policy then decides once for all who share it.
    made: dict[tuple, Preferences] = {}
    for row in rows:
        key = tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for v in row[1:])
        prefs = made.get(key)
        if prefs is None:
            prefs = made[key] = from_row(_Row._make(row))
        found[row[0]] = prefs
    return found


#: What a Preferences is made of, the user id first.
_Row = namedtuple(
    "_Row",
    (
        "user_id",
        "timezone",
        "quiet_start",
        "quiet_end",
        "sound",
        "urgent_through",
        "digest",
        "channels",
        "snoozed_at",
        "snooze_until",
        "locale",
    ),
)
#: Those columns, as `shared` takes their values.
COLUMNS = [Preference.__table__.c[name] for name in _Row._fields]
# Built once: each publish loads its recipients' preferences.
_AMONG = Among(Preference.user_id, sa.select(*COLUMNS).where)


def row_for_update(session: Session, user_id: int) -> Preference:
    """The user's row, created with the defaults if missing, locked until the transaction ends.

    Two first saves at once both succeed: the insert does nothing on a conflict.
    """
    values = {
        "user_id": user_id,
        "sound": True,
        "urgent_through": True,
        "digest": "off",
        "channels": {},
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(Preference).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(Preference).values(values).on_conflict_do_nothing())
    elif session.get(Preference, user_id) is None:
        session.add(Preference(**values))
        session.flush()
    stmt = sa.select(Preference).where(Preference.user_id == user_id).with_for_update()
    return session.scalars(stmt.execution_options(populate_existing=True)).one()
