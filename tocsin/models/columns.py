"""Column types every model shares: aware UTC timestamps, and the largest id."""

from datetime import UTC, datetime

import sqlalchemy as sa

#: Ids are INTEGER columns: PostgreSQL refuses larger values outright, so inputs beyond
#: this are answered as "no such id" before they reach a query.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Store UTC timestamps and always hand back aware datetimes (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use an aware UTC datetime")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
