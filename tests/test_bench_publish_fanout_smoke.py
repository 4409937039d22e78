"""Smoke test of the publish benchmark (`python -m bench publish_fanout --smoke`, features off
and on): correctness only, never time (the figures live in bench/results/publish_fanout.md).
The benchmark itself checks every publish (rows, delivery rows, held rows, queue jobs) and
fails on a difference; these tests check that every mode ran and what it left."""

import pytest

from tests.bench_cli import run_bench

MODES = ("off", "on", "on_collapsing", "on_quiet")


def assert_every_mode_ran(data: dict) -> None:
    users, rounds = data["users"], data["rounds"]
    assert data["has_preferences"]
    # A warm-up and the rounds per mode, each a new row per user, but the collapsing mode's
    # rounds, which grow the warm-up's rows.
    assert data["committed"] == users * ((rounds + 1) * 3 + 1)
    for mode in MODES:
        m = data["modes"][mode]
        assert m["failures"] == [], mode
        assert m["time"]["n"] == rounds and len(m["statements"]) == rounds
    assert set(data["features"]) == {"on", "on_collapsing", "on_quiet"}


@pytest.mark.postgres
def test_features_off_and_on_each_publish_exactly_what_they_should(tmp_path):
    data = run_bench("publish_fanout", tmp_path, "--features", "both")
    assert data["dialect"] == "postgresql"
    assert_every_mode_ran(data)
    for mode in MODES:
        # A number of statements per publish, never one per recipient.
        assert max(data["modes"][mode]["statements"]) <= 12 < data["users"], mode


def test_on_sqlite_too(tmp_path):
    data = run_bench("publish_fanout", tmp_path, "--backend", "sqlite", postgres=False)
    assert data["dialect"] == "sqlite"
    assert_every_mode_ran(data)
