"""Smoke test of the deliveries benchmark (`python -m bench deliveries --smoke`): correctness.

On PostgreSQL with a Redis queue and on SQLite with the SQLite queue, a real `flask tocsin
worker` must send every staged push and email exactly once (the benchmark checks each
address and device got one message, and exits non-zero otherwise), each in one attempt;
the rates are never asserted (they live in bench/results/deliveries.md).
"""

import pytest

from tests.bench_cli import run_bench


@pytest.mark.postgres
def test_every_push_and_email_is_sent_once_by_a_real_worker(tmp_path):
    data = run_bench("deliveries", tmp_path)
    assert set(data["backends"]) == {"postgresql", "sqlite"}
    for result in data["backends"].values():
        (run,) = result["runs"]
        for channel in ("push", "email"):
            assert run[channel]["states"] == {"sent": data["count"]}
            assert run[channel]["attempts"] == data["count"]
            assert run[channel]["per_s"] > 0 and run[channel]["peer_per_s"] > 0
