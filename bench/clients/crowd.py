"""The load client of the serving benchmark: thousands of WebSockets in one asyncio process.

Run by bench.harness.driver, not by hand: it reads one JSON command per line on stdin and
answers each with one JSON line on stdout. Every socket sends its user's session
cookie and the server's own Origin, like a browser tab. The cookies file maps user
keys to Cookie headers: probe users ("p0", "p1", ...) get one socket each, and crowd
sockets are dealt round-robin over the crowd users ("c0", "c1", ...).

``--protocol socketio`` speaks Socket.IO over the same sockets (peer B,
bench.peers.socketio_app): the URL is the server's
``/socket.io/?EIO=4&transport=websocket`` (the websocket transport only, as a browser
client given ``transports: ["websocket"]``); each socket waits for Engine.IO's open
packet, sends the namespace CONNECT ``40``, and counts as open once both the ``40{...}``
answer and the ``snapshot`` event arrived. Engine.IO pings (``2``) are answered (``3``),
and each ``42["push", "<html>"]`` is read as the html, so every reader sees the same
strings as with plain WebSocket. ``Crowd.ping`` sends WebSocket ping frames either way
(simple-websocket answers them under Engine.IO too), so the RTT means the same thing.
"""

import argparse
import asyncio
import json
import random
import re
import sys
import time
from collections import defaultdict

from websockets.asyncio.client import connect

from bench.harness.machine import raise_nofile

ITEM_RE = re.compile(r'id="notification-(\d+)"')
#: Handshakes in flight at once while ramping up, as a crowd of browsers would.
OPEN_CONCURRENCY = 50
OPEN_TIMEOUT = 10.0
#: Tries per socket before its handshake counts as failed.
OPEN_ATTEMPTS = 3
PROTOCOLS = ("ws", "socketio")


class SocketIORefused(Exception):
    """The Socket.IO server refused the namespace connection (a CONNECT_ERROR packet)."""


async def socketio_handshake(ws) -> None:
    """Engine.IO v4 open, Socket.IO v5 CONNECT to "/"; return once connected and snapshotted."""
    opened = await ws.recv()
    if not opened.startswith("0"):
        await ws.close()
        raise SocketIORefused(f"no Engine.IO open packet: {opened[:60]!r}")
    await ws.send("40")
    connected = snapshot = False
    while not (connected and snapshot):
        packet = await ws.recv()
        if packet == "2":
            await ws.send("3")
        elif packet.startswith("40"):
            connected = True
        elif packet.startswith("44"):
            await ws.close()
            raise SocketIORefused(packet[2:])
        elif packet.startswith('42["snapshot"'):
            snapshot = True


async def socketio_messages(ws):
    """The html of each Socket.IO "push" event; answers Engine.IO pings on the way."""
    async for packet in ws:
        if packet == "2":
            await ws.send("3")
        elif packet.startswith("42"):
            try:
                event = json.loads(packet[2:])
            except ValueError:
                continue
            if isinstance(event, list) and len(event) == 2 and event[0] == "push":
                yield event[1]
        elif packet.startswith("41") or packet == "1":  # namespace or Engine.IO close
            await ws.close()
            return


class Crowd:
    """Open, watch, ping and close many sockets against one server."""

    def __init__(
        self,
        ws_url: str,
        origin: str,
        cookies: dict[str, str],
        compression: bool,
        protocol: str = "ws",
    ):
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}")
        self.protocol = protocol
        self.ws_url = ws_url
        self.origin = origin
        self.cookies = cookies
        self.crowd = sorted((k for k in cookies if k.startswith("c")), key=lambda k: int(k[1:]))
        self.probes = sorted((k for k in cookies if k.startswith("p")), key=lambda k: int(k[1:]))
        self.compression = "deflate" if compression else None
        self.sockets: list = []  # index = socket number; None if its handshake failed
        self.users: list[str] = []  # index = socket number
        self._dealt = 0
        #: notification id -> arrival times (monotonic), one per socket that got it.
        self.arrivals: dict[int, list[float]] = defaultdict(list)
        self.closed: dict[int, tuple[int | None, float]] = {}
        self._readers: list[asyncio.Task] = []

    async def _connect(self, user: str):
        """Open one socket for `user` and wait for its snapshot (or Socket.IO handshake)."""
        ws = await connect(
            self.ws_url,
            origin=self.origin,
            compression=self.compression,
            additional_headers={"Cookie": self.cookies[user]},
            proxy=None,
            open_timeout=OPEN_TIMEOUT,
            ping_interval=None,
            close_timeout=5,
            max_size=None,
        )
        try:
            if self.protocol == "socketio":
                await asyncio.wait_for(socketio_handshake(ws), OPEN_TIMEOUT)
            else:
                await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT)  # the snapshot
        except BaseException:
            await ws.close()
            raise
        return ws

    async def open(self, total: int) -> dict:
        """Open sockets until `total` were opened, probes first; time each until its snapshot."""
        sem = asyncio.Semaphore(OPEN_CONCURRENCY)
        times: list[float] = []
        errors: dict[str, int] = defaultdict(int)
        retried: dict[str, int] = defaultdict(int)

        async def one(index: int) -> None:
            user = self.users[index]
            async with sem:
                start = time.monotonic()
                for attempt in range(OPEN_ATTEMPTS):
                    try:
                        ws = await self._connect(user)
                        break
                    except Exception as exc:
                        # A handshake that timed out in a burst is tried again: the bench
                        # measures the fan-out, not how a 2-core box takes 10,000 handshakes.
                        if attempt == OPEN_ATTEMPTS - 1:
                            errors[type(exc).__name__] += 1
                            self.sockets[index] = None
                            return
                        retried[type(exc).__name__] += 1
            times.append(time.monotonic() - start)
            self.sockets[index] = ws
            self._readers.append(asyncio.create_task(self._read(index, ws)))

        first = len(self.sockets)
        for _ in range(first, total):
            if len(self.users) < len(self.probes):
                self.users.append(self.probes[len(self.users)])
            else:
                self.users.append(self.crowd[self._dealt % len(self.crowd)])
                self._dealt += 1
        self.sockets.extend([None] * (total - first))
        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(first, total)))
        return {
            "opened": len(times),
            "failed": sum(errors.values()),
            "errors": dict(errors),
            "retried": dict(retried),
            "held": self.held(),
            "elapsed_s": time.monotonic() - started,
            "handshake_s": times,
        }

    def held(self) -> int:
        return sum(
            1 for i, ws in enumerate(self.sockets) if ws is not None and i not in self.closed
        )

    def messages(self, ws):
        """What a reader iterates: the socket's messages as the html the server pushed."""
        return socketio_messages(ws) if self.protocol == "socketio" else ws

    async def _read(self, index: int, ws) -> None:
        try:
            async for message in self.messages(ws):
                now = time.monotonic()
                for nid in ITEM_RE.findall(message):
                    self.arrivals[int(nid)].append(now)
        except Exception:  # noqa: S110 - the close code below tells what happened
            pass
        self.closed[index] = (ws.close_code, time.monotonic())

    async def ping(self, count: int, spacing: float) -> dict:
        """Ping `count` random open sockets, one every `spacing` s; return the RTTs."""
        open_ = [ws for i, ws in enumerate(self.sockets) if ws is not None and i not in self.closed]
        sample = random.sample(open_, min(count, len(open_)))
        rtts: list[float] = []
        failed = 0

        async def one(delay: float, ws) -> None:
            nonlocal failed
            await asyncio.sleep(delay)
            try:
                rtts.append(await asyncio.wait_for(await ws.ping(), 10))
            except Exception:
                failed += 1

        await asyncio.gather(*(one(i * spacing, ws) for i, ws in enumerate(sample)))
        return {"rtt_s": rtts, "failed": failed}

    async def collect(self, items: list[list], timeout: float) -> dict:
        """Wait until each (id, user key) reached every open socket of that user; return times."""
        expected = {}
        for nid, user in items:
            expected[nid] = sum(
                1
                for i, u in enumerate(self.users)
                if u == user and self.sockets[i] is not None and i not in self.closed
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(len(self.arrivals.get(nid, ())) >= n for nid, n in expected.items()):
                break
            await asyncio.sleep(0.05)
        return {
            "arrivals": {str(nid): self.arrivals.get(nid, []) for nid in expected},
            "expected": {str(nid): n for nid, n in expected.items()},
        }

    async def watch_close(self, timeout: float) -> dict:
        """Wait until every held socket is closed by the server; tally the close codes."""
        deadline = time.monotonic() + timeout
        while self.held() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        codes: dict[str, int] = defaultdict(int)
        for code, _ in self.closed.values():
            codes[str(code)] += 1
        return {
            "codes": dict(codes),
            "still_open": self.held(),
            "closes": list(self.closed.values()),
        }

    async def close(self) -> None:
        await asyncio.gather(
            *(ws.close() for ws in self.sockets if ws is not None), return_exceptions=True
        )
        for task in self._readers:
            task.cancel()


async def serve(crowd: Crowd) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)  # a 10,000-user tally is one long line
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        cmd = json.loads(line)
        name = cmd.pop("cmd")
        if name == "quit":
            break
        if name == "time":
            result = {"monotonic": time.monotonic()}
        else:
            result = await getattr(crowd, name)(**cmd)
        print(json.dumps(result), flush=True)
    await crowd.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--cookies", required=True, help="a JSON file: user key -> Cookie")
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="ws")
    args = parser.parse_args()
    raise_nofile()
    with open(args.cookies) as f:
        cookies = json.load(f)  # {"p0": "session=...", "c0": ..., ...}
    crowd = Crowd(args.ws_url, args.origin, cookies, not args.no_compression, args.protocol)
    asyncio.run(serve(crowd))


if __name__ == "__main__":
    main()
