"""Run the benchmarks: `python -m bench` (or `make bench`) runs every one, one after another.

`python -m bench NAME [OPTIONS]` runs one (`python -m bench latency --help`); `--only`
picks some (`--only latency,fanout`), `--list` shows them, `--smoke` runs each at tiny
sizes to check it works (writing results only to `--out DIR`). Each runs in its own
process with its default sizes and writes its results to bench/results/; one that fails
is reported and the others still run. A full run takes about an hour on a 2-core
machine; nothing else should run meanwhile (every figure is a ratio against a peer
measured in the same run, but a busy machine still adds noise).
"""

import argparse
import subprocess
import sys
import time

from bench.harness.paths import ROOT

#: (name, arguments, what it measures: issue 5's measurement number)
BENCHES = [
    ("latency", [], "1: publish-to-receipt p50/p99 at 100/1,000/5,000 clients, vs peers A, B"),
    (
        "serving",
        ["--modes", "gevent,peer_a,peer_b", "--no-hub", "--name", "serving-peers"],
        "2: sockets one worker holds, memory per socket, vs peers A, B",
    ),
    ("ingest", [], "3: committed and pushed per second, HTTP and Python API, vs raw inserts"),
    ("badge_count", [], "4: badge and first page at 100 / 100,000 / 1,000,000 rows"),
    ("fanout", [], "5: one event to 10,000 connected users, vs peers A, B"),
    ("reconnect", [], "6: a worker killed under 1,000 clients: back, and nothing missed"),
    ("toast_latency", [], "publish to toast on screen in Chromium"),
    ("publish_fanout", [], "one publish to 10,000 recipients in process, preferences or none"),
    ("prune", [], "retention: prune 1,000,000 rows, SQLite and PostgreSQL, longest lock"),
    ("deliveries", [], "pushes and emails a `tocsin worker` sends per second, vs raw loops"),
    ("search", [], "inbox filters and search: 1,000,000 rows for one user, 10,000,000 in all"),
    ("streams", [], "idle event streams (SSE fallback) against WebSockets: memory and CPU each"),
]
#: Run by name only, not by `python -m bench`: a profile, not a figure.
EXTRA = [
    ("ingest_profile", "where the ingest paths spend their time (pyinstrument)"),
    ("pubsub", "Redis's CPU per PUBLISH with 0-16 pattern/channel subscribers (docs/scaling.md)"),
]
NAMES = [name for name, _, _ in BENCHES] + [name for name, _ in EXTRA]


def run(name: str, args: list[str]) -> int:
    """Run one benchmark in its own process; return its exit code."""
    return subprocess.call([sys.executable, "-m", f"bench.benchmarks.{name}", *args], cwd=ROOT)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in NAMES:
        sys.exit(run(argv[0], argv[1:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__)
    parser.add_argument("--only", help="comma-separated names")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does each one work?")
    parser.add_argument("--out", help="results folder (a smoke run writes only here)")
    args = parser.parse_args(argv)
    if args.list:
        for name, _, what in BENCHES:
            print(f"{name:14} {what}")
        for name, what in EXTRA:
            print(f"{name:14} {what} (by name only)")
        return
    chosen = set(args.only.split(",")) if args.only else {name for name, _, _ in BENCHES}
    if unknown := chosen - set(NAMES):
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    shared = (["--smoke"] if args.smoke else []) + (["--out", args.out] if args.out else [])
    outcomes = []
    for name, extra, what in BENCHES + [(name, [], what) for name, what in EXTRA]:
        if name not in chosen:
            continue
        print(f"\n#### bench {name}: {what}", flush=True)
        start = time.monotonic()
        outcomes.append((name, run(name, [*extra, *shared]), time.monotonic() - start))
    print("\n#### summary")
    for name, code, took in outcomes:
        print(f"{name:14} {'ok' if code == 0 else f'FAILED (exit {code})':18} {took / 60:.1f} min")
    if any(code for _, code, _ in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    main()
