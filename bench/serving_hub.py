"""Does a database call under gevent let other greenlets run? Measured, one case a process.

Each case runs in its own process (monkey-patching is for the whole process): a ticker
greenlet sleeps 10 ms at a time and records its longest gap while the main greenlet
makes a one-second database call. A gap near 10 ms means the call yielded to the hub;
a gap near 1,000 ms means every socket of the worker froze for that long.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "psycopg-patched-first": "PostgreSQL `SELECT pg_sleep(1)`, psycopg imported after "
    "`monkey.patch_all()` (gunicorn's gevent worker, no `preload_app`)",
    "psycopg-imported-first": "the same, psycopg imported before patching (as `preload_app` "
    "or a config file importing the app would do)",
    "sqlite-locked": "SQLite `BEGIN IMMEDIATE` while another process holds the write lock "
    "for 1 s (the app's `busy_timeout` wait)",
    "sqlite-query": "SQLite, a plain `SELECT` (no lock held)",
}
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


def run_all(pg_url: str, workdir: Path) -> dict:
    """Run every case in a fresh process; return {case: result}."""
    results = {}
    for case in CASES:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.serving_hub",
                "--case",
                case,
                "--pg-url",
                pg_url,
                "--dir",
                str(workdir),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parent.parent,
        )
        if out.returncode:
            results[case] = {"error": out.stderr.strip().splitlines()[-1:]}
        else:
            results[case] = json.loads(out.stdout)
        print(f"   hub {case}: {results[case]}", flush=True)
    return results


def markdown(results: dict) -> str:
    lines = [
        "A ticker greenlet sleeps 10 ms at a time while the main greenlet makes a one-second "
        "database call; its longest gap is how long every other socket of the worker froze.",
        "",
        "| case | psycopg wait function | call s | longest ticker gap ms |",
        "|---|---|---:|---:|",
    ]
    for case, r in results.items():
        if "error" in r:
            lines.append(f"| {CASES[case]} | error: {r['error']} | | |")
            continue
        lines.append(
            f"| {CASES[case]} | {r.get('wait_function', '–')} | {r['call_s']:.2f} "
            f"| {r['max_gap_ms']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), required=True)
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(run_case(args.case, args.pg_url, args.dir)))


if __name__ == "__main__":
    main()
