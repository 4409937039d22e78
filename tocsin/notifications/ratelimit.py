"""Per-user (and per user × type) rate limits for the policy, counted by the `limits` library.

`TOCSIN_RATE_LIMIT` ("10/minute", "10 per 5 seconds", several joined by ";"; empty = off)
is counted per user, and a type's `rate_limit` per user × type, in fixed windows that
start at a user's first notification. Counted in Redis when TOCSIN_REDIS_URL is set, so
a limit holds across processes and machines (keys ``<prefix>:rate:...``), and in memory
otherwise (per process: the embedded set-up).

A fan-out counts its recipients in Redis pipelines of the library's own increment
script, 1,000 recipients each (two round trips: redis-py checks the script is loaded,
then sends the batch), not a round trip per recipient. Should Redis fail, nobody is
over the limit: the notification is delivered and the failure logged, and Redis is left
alone for a few seconds so a publish does not wait on a dead server each time.
"""

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import cast

import limits
import redis
from limits import RateLimitItem
from limits.storage import RedisStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)

#: Increments per Redis pipeline.
PIPELINE = 1000
#: Seconds Redis is not asked again after it failed.
BACKOFF = 5.0
#: Redis answers in milliseconds; a publish waits at most this long for a dead one.
REDIS_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


class InvalidRateLimit(ValueError):
    """A rate limit the `limits` library cannot parse."""


def parse(value: str | None, what: str = "TOCSIN_RATE_LIMIT") -> tuple[RateLimitItem, ...]:
    """Parse `value` ("10/minute", "10 per 5 seconds", "5/second;100/hour"); empty = none."""
    if value is None or not value.strip():
        return ()
    try:
        return tuple(limits.parse_many(value))
    except ValueError as exc:
        raise InvalidRateLimit(
            f"{what}: {value!r} is not a rate limit ({exc}); "
            "write e.g. '10/minute' or '10 per 5 seconds', or leave it empty for none"
        ) from None


class RateLimiter:
    """Counts notifications per user and per user × type, and says who is over."""

    def __init__(self, per_user: str | None, storage_uri: str | None, prefix: str) -> None:
        self.per_user = parse(per_user)
        uri = storage_uri or "memory://"
        options = REDIS_OPTIONS if uri.startswith(("redis", "rediss")) else {}
        storage = storage_from_string(uri, key_prefix=f"{prefix}:rate", **options)
        if not isinstance(storage, Storage):  # an async one (async+redis://)
            raise InvalidRateLimit(f"rate limits: {uri!r} is not a storage for threads")
        self.storage = storage
        self.strategy = FixedWindowRateLimiter(self.storage)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config) -> "RateLimiter":
        """Build from an app's config; raises InvalidRateLimit on a bad TOCSIN_RATE_LIMIT."""
        return cls(
            config["TOCSIN_RATE_LIMIT"],
            config["TOCSIN_REDIS_URL"],
            config["TOCSIN_REDIS_CHANNEL_PREFIX"],
        )

    def items(self, type_name: str, type_limit: str | None) -> list[tuple[RateLimitItem, str]]:
        """The limits a notification of `type_name` counts against, with their key scope."""
        found = [(item, "user") for item in self.per_user]
        found += [(item, f"type:{type_name}") for item in _parsed(type_limit)]
        return found

    def over(self, users: Sequence[int], type_name: str, type_limit: str | None = None) -> set[int]:
        """Count one notification for each of `users`; return those now over a limit.

        Redis down: nobody is over (deliver rather than lose a toast), and it is logged.
        """
        items = self.items(type_name, type_limit)
        if not users or not items:
            return set()
        keys = [
            (uid, item, item.key_for(scope, str(uid))) for uid in users for item, scope in items
        ]
        if not self._available():
            return set()
        try:
            counts = self._incr([(key, item.get_expiry()) for _, item, key in keys])
        except Exception as exc:
            self._failed(exc)
            return set()
        self._recovered()
        return {uid for (uid, item, _), n in zip(keys, counts, strict=True) if n > item.amount}

    def release_before(
        self, user_id: int, types: Iterable[tuple[str, str | None]], now: datetime
    ) -> datetime:
        """Rows the rate limits held for `user_id` before this moment may be released now.

        That is the start of the oldest window still running among the user's limits (a
        row held before it was held in a window that has ended), or `now` when none runs;
        never earlier than `now` less the longest window, so a Redis outage delays a
        summary by one window at most. `types` are (name, rate_limit) of the typed limits.
        """
        items = self.items("", None)
        for name, value in types:
            items += [(i, s) for i, s in self.items(name, value) if s != "user"]
        if not items:
            return now + timedelta(microseconds=1)
        longest = max(item.get_expiry() for item, _ in items)
        floor = now - timedelta(seconds=longest)
        if not self._available():
            return floor
        # Redis tells a key's time to live in whole seconds (rounded): a start read a
        # second early releases late, never early.
        slack = 1.0 if isinstance(self.storage, RedisStorage) else 0.0
        try:
            starts = []
            for item, scope in items:
                stats = self.strategy.get_window_stats(item, scope, str(user_id))
                if stats.remaining < item.amount:  # a window with hits is running
                    starts.append(stats.reset_time - item.get_expiry() - slack)
        except Exception as exc:
            self._failed(exc)
            return floor
        self._recovered()
        if not starts:
            return now + timedelta(microseconds=1)
        # Wall-clock seconds to the caller's clock (a test's frozen one included).
        oldest = now + timedelta(seconds=min(starts) - time.time())
        return max(oldest, floor)

    def _incr(self, keys: list[tuple[str, int]]) -> list[int]:
        storage = self.storage
        if isinstance(storage, RedisStorage):
            counts: list[int] = []
            client = cast(redis.Redis, storage.get_connection())
            for start in range(0, len(keys), PIPELINE):
                pipe = client.pipeline(transaction=False)
                for key, expiry in keys[start : start + PIPELINE]:
                    # The library's own increment-and-expire script, pipelined.
                    storage.lua_incr_expire(
                        keys=[storage.prefixed_key(key)], args=[expiry, 1], client=pipe
                    )
                counts += [int(n) for n in pipe.execute()]
            return counts
        return [storage.incr(key, expiry) for key, expiry in keys]

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            first = self._down_until == 0.0
            self._down_until = time.monotonic() + BACKOFF
        if first:
            log.warning("rate limits: storage failed (%s); delivering without limits", exc)

    def _recovered(self) -> None:
        if self._down_until:
            with self._lock:
                self._down_until = 0.0
            log.info("rate limits: storage works again")


_cache: dict[str, tuple[RateLimitItem, ...]] = {}


def _parsed(value: str | None) -> tuple[RateLimitItem, ...]:
    """A type's limit, parsed once per distinct string."""
    if not value:
        return ()
    if value not in _cache:
        _cache[value] = parse(value, "rate_limit")
    return _cache[value]
