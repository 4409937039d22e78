"""Peer A+: peer A whose publisher first commits the notification in PostgreSQL.

The physical floor for a notification that survives a reconnect: the server is peer A
(bench.peers.raw_ws, unchanged, in a process of its own with its own Redis prefix); the
publisher INSERTs the row Tocsin would write (user_id, type, title, body, url, actor,
created_at) and upserts the user's unread counter in one transaction, COMMITs, then
PUBLISHes peer A's event with the id `INSERT ... RETURNING id` gave. Broadcast: one
multi-row INSERT from `unnest()`, one counter upsert, one commit, then one pipeline of a
PUBLISH per user (what Tocsin's `notify_many()` does, without the ORM).

One dedicated psycopg connection, autocommit off (a transaction per publish), plain SQL:
no ORM, no pool. The table has a primary key and the one index an inbox needs
(user_id, id); Tocsin's has more. `.rows()` counts the committed rows from another
connection, so a run can check that every publish really committed its row.
"""

import threading

import psycopg
import redis

from .peers import PeerA, peer_a_message

TABLE = "peer_a_plus_notifications"
COUNTERS = "peer_a_plus_unread_counters"
#: The content of each row, as bench.harness.tocsin_app gives Tocsin's.
TYPE = "comment"
BODY, URL, ACTOR = "Someone replied in a thread you follow.", "/threads/7", "bench"

DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id bigserial PRIMARY KEY,
        user_id bigint NOT NULL,
        type varchar(64) NOT NULL,
        title text NOT NULL,
        body text,
        url text,
        actor varchar(255),
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz
    )""",
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_user_id ON {TABLE} (user_id, id)",
    f"""CREATE TABLE IF NOT EXISTS {COUNTERS} (
        user_id bigint PRIMARY KEY,
        unread integer NOT NULL DEFAULT 0
    )""",
)
INSERT_ONE = (
    f"INSERT INTO {TABLE} (user_id, type, title, body, url, actor, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, now()) RETURNING id"
)
INSERT_MANY = (
    f"INSERT INTO {TABLE} (user_id, type, title, body, url, actor, created_at)"
    " SELECT u, %s, %s, %s, %s, %s, now() FROM unnest(%s::bigint[]) AS u"
    " RETURNING id, user_id"
)
COUNT_UP = (
    f"INSERT INTO {COUNTERS} (user_id, unread) SELECT u, 1 FROM unnest(%s::bigint[]) AS u"
    f" ON CONFLICT (user_id) DO UPDATE SET unread = {COUNTERS}.unread + 1"
)


class PeerAPlus(PeerA):
    """Peer A's server, in a process of its own (its own prefix): the same bytes sent."""

    name = "peer_a_plus"


def libpq_url(db_url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://...) as libpq takes it."""
    scheme, rest = db_url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgresql") else db_url


def peer_a_plus_publisher(redis_url: str, prefix: str, db_url: str, user_ids: dict[str, int]):
    """`publish(user_id, stamp) -> id`: commit the row (and counter), then peer A's PUBLISH;
    `.broadcast(stamp)` -> [id, key] pairs; `.rows()`: committed rows; `.close()`."""
    url = libpq_url(db_url)
    conn = psycopg.connect(url, autocommit=False)
    with conn.cursor() as cur:
        for statement in DDL:
            cur.execute(statement)
    conn.commit()
    client = redis.Redis.from_url(redis_url)
    lock = threading.Lock()
    keys_of = {uid: key for key, uid in user_ids.items()}

    def publish(user_id: int, stamp: int) -> int:
        with lock, conn.cursor() as cur:
            cur.execute(INSERT_ONE, (user_id, TYPE, f"t={stamp}", BODY, URL, ACTOR))
            (nid,) = cur.fetchone()
            cur.execute(COUNT_UP, ([user_id],))
            conn.commit()
        client.publish(f"{prefix}:user:{user_id}", peer_a_message(nid, stamp))
        return nid

    def broadcast(stamp: int) -> list[list]:
        uids = list(user_ids.values())
        with lock, conn.cursor() as cur:
            cur.execute(INSERT_MANY, (TYPE, f"t={stamp}", BODY, URL, ACTOR, uids))
            made = cur.fetchall()
            cur.execute(COUNT_UP, (uids,))
            conn.commit()
        with client.pipeline(transaction=False) as pipe:
            for nid, uid in made:
                pipe.publish(f"{prefix}:user:{uid}", peer_a_message(nid, stamp))
            pipe.execute()
        return [[nid, keys_of[uid]] for nid, uid in made]

    def rows() -> int:
        """The rows committed so far, counted from a connection of its own."""
        with psycopg.connect(url, autocommit=True) as other:
            return other.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]  # noqa: S608

    def close() -> None:
        conn.close()
        client.close()

    publish.broadcast = broadcast
    publish.rows = rows
    publish.close = close
    return publish
