"""Ping a pooled PostgreSQL connection before use only if it sat idle: a busy pool skips it.

SQLAlchemy's `pool_pre_ping` sends a round trip on every checkout, and every publish
checks a connection out: on this machine that was one of six round trips per
`notify()` (issue 16). A connection used less than IDLE_S ago is taken as it is; one
that waited longer is pinged, and if the ping fails the pool drops it and draws another.
A connection the server closed (a restart or a terminated backend) is pinged however
recently it was used: the server's farewell leaves its socket readable, which a poll
sees without a round trip. So the first request after a PostgreSQL restart still gets a
fresh connection (tests/integration/test_postgres_restart.py).
"""

import select
import time

import sqlalchemy as sa

#: Seconds a connection may sit in the pool and be used without a ping.
IDLE_S = 1.0
#: The connection record's info key: when the connection went back into the pool.
RETURNED = "tocsin.returned"


def _has_news(dbapi_conn) -> bool:
    """Tell whether the server sent something to a connection with no query running.

    A PostgreSQL that stops or restarts tells every connection (an error, then the close)
    before it goes: the socket turns readable. A poll costs no round trip."""
    try:
        poller = select.poll()
        poller.register(dbapi_conn.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return True  # closed, or no socket to ask: ping


def install(engine: sa.Engine, idle_s: float = IDLE_S) -> None:
    """Ping `engine`'s connections on checkout once they have been idle for `idle_s`."""

    def checkin(_dbapi_conn, record) -> None:
        if record is not None:
            record.info[RETURNED] = time.monotonic()

    def checkout(dbapi_conn, record, _proxy) -> None:
        returned = record.info.get(RETURNED)
        fresh = returned is not None and time.monotonic() - returned < idle_s
        if fresh and not _has_news(dbapi_conn):
            return
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_conn.rollback()  # the ping's transaction must not stay open
        except Exception as exc:  # noqa: BLE001 - any failure: the pool tries another
            raise sa.exc.DisconnectionError(f"pooled connection is dead: {exc}") from exc

    sa.event.listen(engine, "checkin", checkin)
    sa.event.listen(engine, "checkout", checkout)
