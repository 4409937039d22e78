"""The load client of the reconnect benchmark: sockets that reconnect like the htmx ws extension.

Run by the reconnect benchmark (bench.harness.driver), not by hand: one JSON command per
line on stdin, one JSON answer per line on stdout (bench.clients.crowd's protocol and
`serve` loop). Every socket runs its own loop, as a browser tab does: connect with its
user's session cookie and the server's Origin, wait for the first message (the snapshot),
then read pushes until the socket closes; after a close with 1006, 1011, 1012 or 1013, or
a failed handshake (a browser reports both as a close, a failed handshake as 1006), wait
the reconnect delay and try again. Any other close code ends the loop: the htmx ws
extension gives up on it too.

The delay is the page's own (static/tocsin/tocsin.js, ``htmx.config.wsReconnectDelay``):
``m = min(400 ms * 2**retry, 8 s)``, then a uniform pick in ``[m/2, m]`` ("equal
jitter"); ``retry`` counts failed attempts since the last open and starts at 0. With
``--backoff htmx`` it is htmx-ext-ws 2.0.4's default instead ("full-jitter"):
``1 s * 2**min(retry, 6) * random()``. With ``--protocol socketio`` (peer B) the sockets
speak Socket.IO over the websocket transport (bench.clients.crowd's handshake and reader)
and reconnect after any close, as socket.io-client does, with the same delays.

Each socket keeps a model of what its page shows, as tests.support.ClientModel does: a
snapshot (``hx-swap-oob="innerHTML"`` on ``#notification-list``) replaces the list, a push
(``afterbegin``) prepends its items, and an id already shown counts as a duplicate (the page
would drop it); the badge is the last ``data-count`` received. Every open, close and failed
attempt is stamped with time.monotonic(), which on Linux is one clock for all processes.
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
from websockets.exceptions import InvalidStatus

from bench.harness.machine import raise_nofile

from .crowd import serve, socketio_handshake, socketio_messages

LIST_RE = re.compile(
    r'<ul id="notification-list" hx-swap-oob="(innerHTML|afterbegin)"[^>]*>(.*?)</ul>', re.DOTALL
)
ITEM_RE = re.compile(r'<li id="notification-(\d+)"')
COUNT_RE = re.compile(r'id="notification-badge"[^>]*data-count="(\d+)"')
#: Close codes after which htmx-ext-ws reconnects (ws.js, socket.onclose).
RETRY_CODES = (1006, 1011, 1012, 1013)
#: Handshakes in flight at once during the first ramp-up; reconnects are not limited.
OPEN_CONCURRENCY = 50
#: A browser has no short opening-handshake timeout: a connection that waits in the
#: listen backlog for a worker to start is left to wait.
OPEN_TIMEOUT = 30.0


def tocsin_delay(retry: int) -> float:
    """static/tocsin/tocsin.js: equal jitter from 400 ms, at most 8 s."""
    top = min(0.4 * 2**retry, 8.0)
    return top / 2 + random.random() * top / 2


def htmx_delay(retry: int) -> float:
    """htmx-ext-ws 2.0.4's default "full-jitter": 1 s * 2**min(retry, 6) * random()."""
    return 2 ** min(retry, 6) * random.random()


BACKOFF = {"tocsin": tocsin_delay, "htmx": htmx_delay}
REPORTED = ("user", "connected", "ids", "badge", "snapshot_ids", "duplicates", "opens", "closes")
REPORTED += ("failures", "attempts", "gave_up")


class Tab:
    """One socket's life: its opens, closes and failed attempts, and what its page shows."""

    def __init__(self, index: int, user: str) -> None:
        self.index = index
        self.user = user
        self.ws = None
        self.connected = False
        self.ids: list[int] = []  # the list as the page shows it, newest first
        self.badge: int | None = None
        self.snapshot_ids: list[int] = []  # the latest snapshot's list
        self.duplicates: list[int] = []
        self.received: dict[int, int] = defaultdict(int)  # id -> times pushed
        self.first_seen: dict[int, float] = {}  # id -> when first pushed
        self.opens: list[float] = []  # snapshot received
        self.closes: list[list] = []  # [monotonic, close code]
        self.failures: list[list] = []  # [monotonic, error]
        self.attempts = 0
        self.gave_up: int | None = None  # the close code htmx does not retry

    def apply(self, message: str, now: float, snapshot: bool = False) -> None:
        for how, body in LIST_RE.findall(message):
            ids = [int(i) for i in ITEM_RE.findall(body)]
            if how == "innerHTML":
                self.ids = ids
                self.snapshot_ids = ids
            else:
                self.duplicates += [i for i in ids if i in self.ids]
                self.ids = [i for i in ids if i not in self.ids] + self.ids
                for i in ids:
                    self.received[i] += 1
                    self.first_seen.setdefault(i, now)
        if snapshot and not LIST_RE.search(message):
            self.snapshot_ids = []  # a peer's snapshot holds no list: the page keeps its own
        found = COUNT_RE.findall(message)
        if found:
            self.badge = int(found[-1])

    def report(self) -> dict:
        """What the bench checks: the tab's whole life, and its page at the end."""
        out = {name: getattr(self, name) for name in REPORTED}
        out["received"] = {str(k): v for k, v in self.received.items()}
        out["first_seen"] = {str(k): v for k, v in self.first_seen.items()}
        return out


class Storm:
    """Many tabs against one server, each reconnecting on its own."""

    def __init__(self, ws_url, origin, cookies, compression, backoff, protocol="ws"):
        self.protocol = protocol
        self.ws_url = ws_url
        self.origin = origin
        self.cookies = cookies
        self.compression = "deflate" if compression else None
        self.delay = BACKOFF[backoff]
        self.tabs: list[Tab] = []
        self.tasks: list[asyncio.Task] = []
        self.stopping = False
        self._ramp = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def start(self, total: int, timeout: float = 60.0) -> dict:
        """Open `total` tabs dealt round-robin over the users; wait until each has a snapshot."""
        users = sorted(self.cookies)
        started = time.monotonic()
        for i in range(len(self.tabs), total):
            tab = Tab(i, users[i % len(users)])
            self.tabs.append(tab)
            self.tasks.append(asyncio.create_task(self._run(tab)))
        deadline = started + timeout
        while time.monotonic() < deadline and not all(t.opens for t in self.tabs):
            await asyncio.sleep(0.02)
        return {"held": self.held(), "elapsed_s": time.monotonic() - started, **self.errors()}

    def held(self) -> int:
        return sum(1 for t in self.tabs if t.connected)

    def errors(self) -> dict:
        errors: dict[str, int] = defaultdict(int)
        for tab in self.tabs:
            for _, what in tab.failures:
                errors[what] += 1
        return {"failed": sum(errors.values()), "errors": dict(errors)}

    async def _connect(self, tab: Tab, ramping: bool) -> bool:
        tab.attempts += 1
        ws = None
        try:
            if ramping:
                await self._ramp.acquire()
            ws = await connect(
                self.ws_url,
                origin=self.origin,
                compression=self.compression,
                additional_headers={"Cookie": self.cookies[tab.user]},
                proxy=None,
                open_timeout=OPEN_TIMEOUT,
                ping_interval=None,
                close_timeout=2,
                max_size=None,
            )
            if self.protocol == "socketio":
                await asyncio.wait_for(socketio_handshake(ws), OPEN_TIMEOUT)
                snapshot = ""  # peer B's snapshot event holds no list
            else:
                snapshot = await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT)
        except Exception as exc:
            what = type(exc).__name__
            if isinstance(exc, InvalidStatus):
                what = f"HTTP {exc.response.status_code}"
            tab.failures.append([time.monotonic(), what])
            if ws is not None:
                await ws.close()
            return False
        finally:
            if ramping:
                self._ramp.release()
        now = time.monotonic()
        tab.apply(snapshot, now, snapshot=True)
        tab.ws, tab.connected = ws, True
        tab.opens.append(now)
        return True

    async def _run(self, tab: Tab) -> None:
        retry = 0
        while not self.stopping:
            if not await self._connect(tab, ramping=not tab.opens):
                if self.stopping:
                    return
                await asyncio.sleep(self.delay(retry))
                retry += 1
                continue
            retry = 0  # htmx resets its retry count when a socket opens
            ws = tab.ws
            messages = socketio_messages(ws) if self.protocol == "socketio" else ws
            try:
                async for message in messages:
                    tab.apply(message, time.monotonic())
            except Exception:  # noqa: S110 - the close code tells what happened
                pass
            tab.connected = False
            code = ws.close_code if ws.close_code is not None else 1006
            tab.closes.append([time.monotonic(), code])
            if self.stopping:
                return
            # socket.io-client reconnects after any transport close, whatever its code.
            if code not in RETRY_CODES and self.protocol != "socketio":
                tab.gave_up = code  # the page shows "offline" and stays so
                return
            await asyncio.sleep(self.delay(retry))
            retry += 1

    async def wait_back(self, since: float, timeout: float) -> dict:
        """Wait until every tab that was open at `since` has a snapshot after it, or gave up."""
        deadline = time.monotonic() + timeout

        def pending() -> int:
            return sum(
                1
                for t in self.tabs
                if t.opens and t.opens[0] <= since and t.gave_up is None and t.opens[-1] <= since
            )

        while pending() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return {"pending": pending(), "held": self.held()}

    async def wait_for(self, latest: dict[str, int], timeout: float, settle: float) -> dict:
        """Wait until each open tab shows (or got) its user's latest id; then `settle` s more."""
        deadline = time.monotonic() + timeout

        def behind() -> int:
            return sum(
                1
                for t in self.tabs
                if t.connected
                and latest.get(t.user)
                and latest[t.user] not in t.ids
                and latest[t.user] not in t.received
            )

        while behind() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(settle)
        return {"behind": behind(), "held": self.held()}

    async def report(self) -> dict:
        return {"tabs": [t.report() for t in self.tabs]}

    async def close(self) -> None:
        self.stopping = True
        await asyncio.gather(
            *(t.ws.close() for t in self.tabs if t.ws is not None), return_exceptions=True
        )
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def stop(self) -> dict:
        await self.close()
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--cookies", required=True, help="a JSON file: user key -> Cookie")
    parser.add_argument("--backoff", choices=sorted(BACKOFF), default="tocsin")
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--protocol", choices=("ws", "socketio"), default="ws")
    args = parser.parse_args()
    raise_nofile()
    with open(args.cookies) as f:
        cookies = json.load(f)
    storm = Storm(
        args.ws_url, args.origin, cookies, not args.no_compression, args.backoff, args.protocol
    )
    asyncio.run(serve(storm))


if __name__ == "__main__":
    sys.exit(main())
