"""The load client of the latency, fan-out and ingest benchmarks: a Crowd reading stamps.

Run by bench.harness.driver, not by hand (one JSON command per line on stdin, one JSON answer
per line on stdout, as bench.clients.crowd). Every message is parsed for the items it
adds (``<li id="notification-<id>"``) and the publisher's stamp ``t=<time.time_ns()>``;
the receipt is stamped with ``time.time_ns()`` on arrival, so publish-to-receipt
latency spans processes on one clock. Every receipt is kept per socket, so a
notification that reached a socket twice, never, or the wrong user's socket is counted.
"""

import argparse
import asyncio
import json
import re
import resource
import statistics
import time
from collections import defaultdict

from bench.harness.machine import raise_nofile

from .crowd import PROTOCOLS, Crowd, serve

LI_RE = re.compile(r'<li id="notification-(\d+)"')
STAMP_RE = re.compile(r"\bt=(\d{10,})")


class StampedCrowd(Crowd):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: notification id -> [(socket index, receipt ns, publish stamp ns or None)]
        self.receipts: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)
        self.lengths: list[int] = []
        #: The last message that added an item: [message, its first id, its stamp].
        self.sample: list | None = None

    async def _read(self, index: int, ws) -> None:
        try:
            async for message in self.messages(ws):
                now = time.time_ns()
                ids = LI_RE.findall(message)
                if not ids:
                    continue
                stamp = STAMP_RE.search(message)
                self.lengths.append(len(message))
                if stamp:
                    self.sample = [message, int(ids[0]), stamp.group(1)]
                for nid in ids:
                    self.receipts[int(nid)].append(
                        (index, now, int(stamp.group(1)) if stamp else None)
                    )
        except Exception:  # noqa: S110 - the close code below tells what happened
            pass
        self.closed[index] = (ws.close_code, time.monotonic())

    async def cpu(self) -> dict:
        """This process's own CPU seconds (user + system) so far."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"cpu_s": usage.ru_utime + usage.ru_stime, "monotonic": time.monotonic()}

    async def reset(self) -> dict:
        self.receipts.clear()
        self.lengths.clear()
        return {}

    async def tally(self, items: list[list], timeout: float, settle: float) -> dict:
        """Wait until each (id, user key) reached every open socket of its user, then
        `settle` s more for late duplicates; count lost, duplicated and misdelivered."""
        by_user: dict[str, set[int]] = defaultdict(set)
        for i, u in enumerate(self.users):
            if self.sockets[i] is not None and i not in self.closed:
                by_user[u].add(i)
        expected: dict[int, set[int]] = defaultdict(set)
        for nid, user in items:  # a broadcast may send one id to every user
            expected[nid] |= by_user[user]
        pending = dict(expected)

        def complete() -> bool:
            # Only what has not fully arrived is looked at again: 10,000 ids stay cheap.
            for nid in list(pending):
                if pending[nid] <= {i for i, _, _ in self.receipts.get(nid, ())}:
                    del pending[nid]
            return not pending

        deadline = time.monotonic() + timeout
        while not complete() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(settle)
        latencies_ms: list[list] = []  # [id, ms]
        lost = duplicated = misdelivered = unstamped = 0
        for nid, want in expected.items():
            per_socket: dict[int, int] = defaultdict(int)
            for index, at, stamp in self.receipts.get(nid, ()):
                per_socket[index] += 1
                if index not in want:
                    misdelivered += 1
                elif per_socket[index] == 1:
                    if stamp is None:
                        unstamped += 1
                    else:
                        latencies_ms.append([nid, (at - stamp) / 1e6])
            lost += sum(1 for i in want if per_socket[i] == 0)
            duplicated += sum(n - 1 for i, n in per_socket.items() if i in want and n > 1)
        unknown = sum(len(r) for nid, r in self.receipts.items() if nid not in expected)
        return {
            "expected": sum(len(w) for w in expected.values()),
            "received": len(latencies_ms) + unstamped,
            "lost": lost,
            "duplicated": duplicated,
            "misdelivered": misdelivered,
            "unexpected_ids": unknown,
            "unstamped": unstamped,
            "latencies_ms": latencies_ms,
            "message_length_median": statistics.median(self.lengths) if self.lengths else None,
            "sample": self.sample,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--cookies", required=True, help="a JSON file: user key -> Cookie")
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="ws")
    args = parser.parse_args()
    raise_nofile()
    with open(args.cookies) as f:
        cookies = json.load(f)
    crowd = StampedCrowd(
        args.ws_url, args.origin, cookies, not args.no_compression, protocol=args.protocol
    )
    asyncio.run(serve(crowd))


if __name__ == "__main__":
    main()
