"""Run every benchmark, one after another: `python -m bench` (or `make bench`).

Each one runs in its own process with its default sizes and writes its results to
bench/results/; one that fails is reported and the others still run. `--only` picks
some (`--only latency,fanout`), `--list` shows them. A full run takes about an hour
on a 2-core machine; nothing else should run meanwhile (every figure is a ratio
against a peer measured in the same run, but a busy machine still adds noise).
"""

import argparse
import subprocess
import sys
import time

from .report import ROOT

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
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        for name, _, what in BENCHES:
            print(f"{name:14} {what}")
        return
    chosen = set(args.only.split(",")) if args.only else {name for name, _, _ in BENCHES}
    unknown = chosen - {name for name, _, _ in BENCHES}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    outcomes = []
    for name, extra, what in BENCHES:
        if name not in chosen:
            continue
        print(f"\n#### bench.{name}: {what}", flush=True)
        start = time.monotonic()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}", *extra], cwd=ROOT)
        outcomes.append((name, code, time.monotonic() - start))
    print("\n#### summary")
    for name, code, took in outcomes:
        print(f"{name:14} {'ok' if code == 0 else f'FAILED (exit {code})':18} {took / 60:.1f} min")
    if any(code for _, code, _ in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    main()
