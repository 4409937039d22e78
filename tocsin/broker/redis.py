"""The Redis broker: events travel over pub/sub, channel ``tocsin:user:<id>``.

Each process holds one pattern subscription, not one per socket, and hands what
arrives to its local sockets. Redis being down never fails a publish: the row is
committed and local sockets get their push; when the listener is back it asks every
local socket for a fresh snapshot, so whatever was published meanwhile shows up.
"""

import contextlib
import json
import logging

import redis

from .base import Deliver, ListeningBroker

log = logging.getLogger(__name__)

#: Backoff between reconnect attempts, in seconds: doubles from MIN up to MAX.
BACKOFF_MIN, BACKOFF_MAX = 0.1, 5.0


class RedisBroker(ListeningBroker):
    """Publish to ``tocsin:user:<id>``; listen with one ``PSUBSCRIBE`` per process."""

    kind = "redis"

    def __init__(self, app, deliver: Deliver, url: str) -> None:
        super().__init__(app, deliver)
        #: Channels are ``<prefix>:user:<id>``; pub/sub ignores Redis database numbers,
        #: so apps sharing one Redis keep apart by prefix.
        self.prefix = f"{app.config['TOCSIN_REDIS_CHANNEL_PREFIX']}:user:"
        options = {"socket_connect_timeout": 2, "socket_timeout": 2, "health_check_interval": 15}
        # Publishers fail fast instead of stalling a request when Redis is away.
        self.client = redis.Redis.from_url(url, retry_on_timeout=False, **options)
        # The listener blocks on reads; health checks (PING) keep a dead link from hiding.
        self._listen_client = redis.Redis.from_url(
            url,
            socket_connect_timeout=2,
            socket_keepalive=True,
            health_check_interval=15,
            decode_responses=True,
        )

    def _send(self, user_id: int, event: dict) -> None:
        message = json.dumps({"origin": self.origin, "event": event})
        self.client.publish(f"{self.prefix}{user_id}", message)

    def _send_many(self, events: list[tuple[int, dict]]) -> None:
        # One round trip for a whole fan-out.
        with self.client.pipeline(transaction=False) as pipe:
            for user_id, event in events:
                message = json.dumps({"origin": self.origin, "event": event})
                pipe.publish(f"{self.prefix}{user_id}", message)
            pipe.execute()

    def _listen(self) -> None:
        backoff = BACKOFF_MIN
        while not self._stop.is_set():
            pubsub = self._listen_client.pubsub(ignore_subscribe_messages=False)
            try:
                pubsub.psubscribe(f"{self.prefix}*")
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        self._ready()
                        backoff = BACKOFF_MIN
                    elif message["type"] == "pmessage":
                        self._receive(message)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                if self.state != "reconnecting":
                    log.warning("redis broker: lost the subscription (%s); reconnecting", exc)
                self._lost()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            finally:
                with contextlib.suppress(Exception):  # a broken link may fail to close
                    pubsub.close()

    def _receive(self, message: dict) -> None:
        try:
            user_id = int(message["channel"][len(self.prefix) :])
            payload = json.loads(message["data"])
        except (ValueError, TypeError):
            log.warning("redis broker: ignoring a malformed message on %r", message["channel"])
            return
        if payload.get("origin") != self.origin:
            self.deliver(user_id, payload["event"])
