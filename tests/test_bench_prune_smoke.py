"""Smoke test of the prune benchmark (`python -m bench prune --smoke`): correctness only.

On SQLite and PostgreSQL, each run must remove exactly the rows the rules name (the
benchmark checks them itself and exits non-zero otherwise: nothing unread and young gone,
counters exact, no orphans), in several batches, while the writer kept committing; times
are never asserted (they live in bench/results/prune.md).
"""

import pytest

from tests.bench_cli import run_bench

RUNS = 2  # the smoke sizes: 20,000 rows, 200 users, keep 100, batches of 500


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_prune_removes_what_the_rules_say_in_batches(tmp_path, backend):
    data = run_bench("prune", tmp_path, "--backends", backend, postgres=backend == "postgresql")
    result = data["backends"][backend]
    assert len(result["runs"]) == RUNS
    for run in result["runs"]:
        assert run["after"]["checked"] is True
        assert run["aged"] == run["before"]["aged"] > 0
        assert run["capped"] > 0 and run["unread_removed"] > 0  # the heavy user's old unread
        assert run["removed"] == run["aged"] + run["capped"]
        assert run["members"] > 0 and run["held"] > 0 and run["undo"] == 500
        assert run["batches"] >= run["removed"] // data["batch_size"]
        assert run["writer_ms"]["n"] > 0
    assert set(result["summary"]) >= {"seconds", "rows_per_s", "longest_ms", "writer_max_ms"}
