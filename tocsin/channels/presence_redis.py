"""Presence in Redis, when TOCSIN_REDIS_URL is set: no table written per visibility change.

Per user two sorted sets, ``<prefix>:presence:<id>:visible`` and ``...:hidden``, whose
members are socket keys scored by their expiry (Unix time). A change moves the key from
one set to the other; the process pushes its keys' scores on every third of
TOCSIN_PRESENCE_TTL; a close removes it. Expired members are trimmed on every write,
and the sets themselves expire a TTL after their last write (a user who left).
"""

import time

import redis

from .presence import LocalTabs

SETS = {True: "visible", False: "hidden"}


class RedisPresence(LocalTabs):
    """Entries as members of per-user sorted sets, scored by expiry."""

    def __init__(self, url: str, prefix: str, ttl: float) -> None:
        super().__init__(ttl)
        self.prefix = f"{prefix}:presence:"
        # Fail fast: a socket's thread or a worker must not stall on a Redis that is away.
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=2, retry_on_timeout=False
        )

    def _key(self, user_id: int, visible: bool) -> str:
        return f"{self.prefix}{user_id}:{SETS[visible]}"

    def any_visible(self, user_id: int) -> bool:
        return self.client.zcount(self._key(user_id, True), f"({time.time()}", "+inf") > 0

    def tabs(self, user_id: int) -> list[bool]:
        now = f"({time.time()}"
        with self.client.pipeline(transaction=False) as pipe:
            for visible in (True, False):
                pipe.zcount(self._key(user_id, visible), now, "+inf")
            shown, hidden = pipe.execute()
        return [True] * shown + [False] * hidden

    def _write(self, key: str, user_id: int, visible: bool, expires: float) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zrem(self._key(user_id, not visible), key)
            into = self._key(user_id, visible)
            pipe.zadd(into, {key: expires})
            pipe.zremrangebyscore(into, "-inf", f"({time.time()}")
            pipe.expire(into, int(self.ttl) + 1)
            pipe.execute()

    def _delete(self, key: str, user_id: int) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for visible in (True, False):
                pipe.zrem(self._key(user_id, visible), key)
            pipe.execute()

    def _extend(self, held: dict[str, tuple[int, bool]], expires: float) -> None:
        # One round trip for the process; XX: a key removed meanwhile is not put back.
        with self.client.pipeline(transaction=False) as pipe:
            for key, (user_id, visible) in held.items():
                into = self._key(user_id, visible)
                pipe.zadd(into, {key: expires}, xx=True)
                pipe.expire(into, int(self.ttl) + 1)
            pipe.execute()
