"""Peer A: the Python ceiling. A bare asyncio `websockets` server fed by Tocsin's Redis channels.

Run: python -m bench.peers.raw_ws --port P --redis-url URL [--prefix tocsin]
     [--template FILE | --size 2600]

No login, no database, no templates: a client names its user in a Cookie header
(``bench_user=<id>``, so the bench's load client sends it the way it sends Tocsin's
session cookie) or in the query string (``/ws?user=<id>``). The process holds ONE
pattern subscription (``PSUBSCRIBE <prefix>:user:*``), exactly like Tocsin's Redis
broker, and reads the same JSON events (``{"origin": ..., "event": {"kind":
"created", "ids": [id]}}``). For each created id it sends that user's sockets the bytes
Tocsin would send, without rendering them: Tocsin renders its push from the database
with Jinja, which a ceiling must not do. With ``--template FILE`` (what bench.latency
passes) the message is a push Tocsin really sent, captured by the load client, with
its notification id and publish stamp replaced by the placeholders ``TEMPLATE_ID`` and
``TEMPLATE_STAMP``: the same length and the same compressibility under
permessage-deflate. Without it, a fixed fragment holding ``<li id="notification-<id>"``
and ``t=<ns>``, padded with spaces to ``--size`` characters. The stamp comes from the
event's ``"t"``. It prints ``ready <port>`` once it listens and the subscription is live.
"""

import argparse
import asyncio
import contextlib
import json
import re
import signal
from collections import defaultdict
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import redis.asyncio as aioredis
from websockets.asyncio.server import broadcast, serve

from bench.harness.machine import raise_nofile
from bench.harness.push import DEFAULT_SIZE, fill

SNAPSHOT = '<div id="notification-snapshot" data-peer="raw_ws"></div>'
STAMP_RE = re.compile(r"^\d+$")


def user_of(request) -> int | None:
    query = parse_qs(urlsplit(request.path).query)
    if "user" in query:
        value = query["user"][0]
    else:
        cookie = SimpleCookie(request.headers.get("Cookie", ""))
        if "bench_user" not in cookie:
            return None
        value = cookie["bench_user"].value
    return int(value) if value.isdigit() else None


class Peer:
    def __init__(self, redis_url: str, prefix: str, size: int, template: str | None) -> None:
        self.redis_url = redis_url
        self.prefix = f"{prefix}:user:"
        self.size = size
        self.template = template
        self.sockets: dict[int, set] = defaultdict(set)

    def message(self, nid: int, stamp: str) -> str:
        return fill(self.template, nid, stamp, self.size)

    async def handler(self, ws) -> None:
        user = user_of(ws.request)
        if user is None:
            await ws.close(1008, "no user")
            return
        self.sockets[user].add(ws)
        try:
            await ws.send(SNAPSHOT)
            async for _ in ws:  # the client sends nothing that matters
                pass
        finally:
            self.sockets[user].discard(ws)
            if not self.sockets[user]:
                del self.sockets[user]

    def deliver(self, channel: str, data: str) -> None:
        try:
            user = int(channel[len(self.prefix) :])
            event = json.loads(data)["event"]
        except (ValueError, KeyError, TypeError):
            return
        targets = self.sockets.get(user)
        if not targets or event.get("kind") != "created":
            return
        stamp = str(event.get("t", "0"))
        if not STAMP_RE.match(stamp):
            stamp = "0"
        for nid in event.get("ids", []):
            broadcast(targets, self.message(int(nid), stamp))

    async def listen(self, subscribed: asyncio.Event) -> None:
        client = aioredis.Redis.from_url(self.redis_url, decode_responses=True)
        pubsub = client.pubsub()
        try:
            await pubsub.psubscribe(f"{self.prefix}*")
            async for message in pubsub.listen():
                if message["type"] == "psubscribe":
                    subscribed.set()
                elif message["type"] == "pmessage":
                    self.deliver(message["channel"], message["data"])
        finally:
            await pubsub.aclose()
            await client.aclose()


async def main_async(args) -> None:
    template = args.template.read_text() if args.template else None
    peer = Peer(args.redis_url, args.prefix, args.size, template)
    subscribed = asyncio.Event()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    listener = asyncio.create_task(peer.listen(subscribed))
    async with serve(peer.handler, "127.0.0.1", args.port, max_size=None) as server:
        await asyncio.wait_for(subscribed.wait(), 10)
        port = server.sockets[0].getsockname()[1]
        print(f"ready {port}", flush=True)
        await stop
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await listener


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--prefix", default="tocsin")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--template", type=Path, help="a captured Tocsin push, placeholders in")
    args = parser.parse_args(argv)
    raise_nofile()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
