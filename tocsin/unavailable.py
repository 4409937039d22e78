"""Tell a database outage (locked, down, restarting) from a bug: the first answers 503.

A request that meets one has written nothing: its transaction rolls back whole, so the
client may simply send it again (with the same Idempotency-Key, for a publish) after
the ``Retry-After`` seconds.
"""

import logging
import math

import sqlalchemy as sa
from flask import current_app

log = logging.getLogger(__name__)

#: Errors worth a look; is_outage() decides. A pool checkout that timed out is one too.
DATABASE_ERRORS = (sa.exc.DBAPIError, sa.exc.TimeoutError)

#: SQLite's result codes for a database that is busy or out of reach, rather than a
#: wrong query ("no such table" is an OperationalError too, and stays a 500).
SQLITE_OUTAGES = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_PROTOCOL",
    "SQLITE_FULL",
)
SQLITE_MESSAGES = (
    "database is locked",
    "database table is locked",
    "unable to open",
    "disk i/o error",
)


def is_outage(exc: BaseException) -> bool:
    """Tell whether `exc` means the database is busy or unreachable, so a retry may work."""
    if isinstance(exc, sa.exc.TimeoutError):
        return True  # every pooled connection in use for pool_timeout seconds
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    name = getattr(exc.orig, "sqlite_errorname", None)
    if name is not None:
        return name.startswith(SQLITE_OUTAGES)
    if type(exc.orig).__module__.startswith("sqlite3"):
        return str(exc.orig).lower().startswith(SQLITE_MESSAGES)
    # psycopg: class 08 (connection), 53 (resources), 55P03 (lock_timeout), 57 (statement
    # timeout, admin shutdown), 40 (deadlock, serialization); a bad query is another class.
    return True


def retry_after() -> int:
    """Return the seconds a client should wait before retrying: the lock timeout, at least 1."""
    return max(1, math.ceil(float(current_app.config.get("TOCSIN_DB_LOCK_TIMEOUT", 5))))


def note(exc: BaseException) -> None:
    """Log an outage in one line: it is the database's state, not a bug with a traceback."""
    log.warning("database unavailable, answering 503: %s", str(exc).splitlines()[0])
