"""Rows whose column is among many ids, with a select built once.

On PostgreSQL the ids go as one array parameter (`column = ANY(:ids)`): one statement
for any number, parsed once by psycopg, where an IN list of 10,000 ids was 10,000
parameters to convert on every publish. Elsewhere an IN list of at most CHUNK ids at a
time (SQLite builds before 3.32 allow 999 parameters).
"""

from collections.abc import Callable, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

#: Ids per IN list where there is no array parameter.
CHUNK = 900


class Among:
    """`build(condition)` made once with "`column` among :ids" each way."""

    def __init__(self, column, build: Callable[[sa.ColumnElement[bool]], sa.Select]) -> None:
        self.array = build(column == sa.any_(sa.bindparam("ids", type_=ARRAY(column.type))))
        self.listed = build(column.in_(sa.bindparam("ids", expanding=True)))

    def rows(self, session: Session, ids: Iterable, **params) -> Iterator[sa.Row]:
        """The statement's rows for `ids` (and the other bind parameters `params`)."""
        ids = list(ids)
        if session.get_bind().dialect.name == "postgresql":
            yield from session.execute(self.array, {"ids": ids, **params})
            return
        for start in range(0, len(ids), CHUNK):
            yield from session.execute(self.listed, {"ids": ids[start : start + CHUNK], **params})

    def scalars(self, session: Session, ids: Iterable, **params) -> Iterator:
        """The first column of each row."""
        return (row[0] for row in self.rows(session, ids, **params))
