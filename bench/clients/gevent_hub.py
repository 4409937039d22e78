"""Does a database call under gevent let other greenlets run? One case, in this process.

Run by bench.harness.driver.run_hub_cases, one process per case (monkey-patching is for
the whole process): a ticker greenlet sleeps 10 ms at a time and records its longest gap
while the main greenlet makes a one-second database call. A gap near 10 ms means the call
yielded to the hub; a gap near 1,000 ms means every socket of the worker froze that long.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

#: The cases, in the order the report lists them (its template describes each).
CASES = ("psycopg-patched-first", "psycopg-imported-first", "sqlite-locked", "sqlite-query")
HOLD_S = 1.0
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def run_case(case: str, pg_url: str, workdir: Path) -> dict:
    """Tick while one database call runs; return the ticker's longest gap.

    The imports are in here on purpose: what is measured is whether psycopg was imported
    before or after gevent's monkey-patching, so their order is decided per case.
    """
    if case == "psycopg-imported-first":
        import psycopg  # noqa: F401 - before the patch, on purpose
    from gevent import monkey

    monkey.patch_all()
    import gevent

    gaps: list[float] = []

    def tick() -> None:
        last = time.monotonic()
        while True:
            gevent.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    result: dict = {}
    if case.startswith("psycopg"):
        import psycopg
        import psycopg.waiting

        result["wait_function"] = psycopg.waiting.wait.__name__
        conn = psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"))
        ticker = gevent.spawn(tick)
        gevent.sleep(0.05)
        start = time.monotonic()
        conn.execute(f"SELECT pg_sleep({HOLD_S})")
    else:
        import sqlite3

        path = workdir / "hub.sqlite3"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
        conn.execute("PRAGMA busy_timeout=15000")
        holder = None
        if case == "sqlite-locked":
            holder = subprocess.Popen(
                [sys.executable, "-c", HOLDER, str(path), str(HOLD_S)],
                stdout=subprocess.PIPE,
                text=True,
            )
            holder.stdout.readline()
        ticker = gevent.spawn(tick)
        gevent.sleep(0.05)
        start = time.monotonic()
        if holder is not None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")
            holder.wait()
        else:
            conn.execute("SELECT count(*) FROM t").fetchone()
    result["call_s"] = time.monotonic() - start
    gevent.sleep(0.05)
    ticker.kill()
    conn.close()
    result["max_gap_ms"] = max(gaps) * 1000
    result["ticks"] = len(gaps)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), required=True)
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(run_case(args.case, args.pg_url, args.dir)))


if __name__ == "__main__":
    main()
