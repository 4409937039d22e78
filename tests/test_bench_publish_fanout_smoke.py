"""Smoke test of the publish benchmark (`python -m bench publish_fanout --smoke`):
correctness only, never time (the figures live in bench/results/publish_fanout.md)."""

import pytest

from tests.bench_cli import run_bench


@pytest.mark.postgres
def test_every_publish_is_committed_and_every_toast_held_in_the_held_mode(tmp_path):
    data = run_bench("publish_fanout", tmp_path)
    users, rounds = data["users"], data["rounds"]
    assert data["has_preferences"] and data["dialect"] == "postgresql"
    assert data["committed"] == users * (rounds + 1) * 2  # a warm-up and the rounds, per mode
    for mode in ("defaults", "held"):
        m = data["modes"][mode]
        assert m["time"]["n"] == rounds and len(m["statements"]) == rounds
        # One INSERT (counters included) and one preferences read; the held mode adds one
        # INSERT of held rows: a number per publish, never one per recipient.
        assert max(m["statements"]) <= 6 < users
    assert data["modes"]["held"]["held_rows"] == users * (rounds + 1)


def test_on_sqlite_too(tmp_path):
    data = run_bench("publish_fanout", tmp_path, "--backend", "sqlite", postgres=False)
    assert data["dialect"] == "sqlite"
    assert data["modes"]["held"]["held_rows"] == data["users"] * (data["rounds"] + 1)
