"""Keep the instance folder private: it holds the secret key and the password and token hashes.

Explicit modes rather than a umask: a umask is process-wide, so it would also change the
files of the host app and of every other thread. New files are created 0600 (the folder
0700); existing ones, say from an earlier version that left them 0644, lose group and
world access at start-up.
"""

import logging
import os
import stat
from pathlib import Path

import sqlalchemy as sa

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
#: SQLite's companions of a database file; it gives them the database file's mode.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def private_dir(path: Path) -> None:
    """Create the folder 0700, or take group and world access off an existing one."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    restrict(path)


def private_sqlite(uri: str) -> None:
    """Create a SQLite database file 0600 before SQLite does, and restrict existing ones."""
    url = sa.engine.make_url(uri)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return
    if database.startswith("file:"):
        return  # a URI filename with its own options: SQLite opens it as told
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite reports the missing folder on connect
    # SQLite takes an empty file as a new database, and creates -wal and -shm with the
    # database file's mode, so they are 0600 too.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    for suffix in SQLITE_SUFFIXES:
        restrict(path.with_name(path.name + suffix))


def restrict(path: Path) -> None:
    """Take group and world permissions off `path` if it exists and is ours."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o077:
        return
    try:
        os.chmod(path, mode & ~0o077)
    except PermissionError:
        log.warning("%s is readable by others (%o) and not ours to change", path, mode)
