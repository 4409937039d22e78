"""Smoke test of `python -m bench pubsub` (what one PUBLISH costs Redis as the fan-out's
workers are added): every subscriber counts every message meant for it. Correctness
only, never time (the figures live in docs/scaling.md)."""

import shutil

import pytest

from tests.bench_cli import run_bench


def test_every_subscriber_gets_every_message_meant_for_it(tmp_path):
    if shutil.which("redis-benchmark") is None:
        pytest.skip("redis-benchmark is not installed")
    data = run_bench("pubsub", tmp_path, postgres=False)
    shapes = {row["shape"] for row in data["rows"]}
    assert shapes == {"pattern", "channel", "sharded", "pattern-py"}
    for row in data["rows"]:
        n = row["subscribers"]
        assert row["publishes"] >= data["settings"]["publishes"]
        # A pattern reaches every subscriber; a routed publish one of them.
        per_publish = n if row["shape"].startswith("pattern") else min(n, 1)
        assert row["expected"] == row["publishes"] * per_publish
        assert row["delivered"] == row["expected"] and row["lost"] == 0, row
