"""Smoke test of `python -m bench fanout --workers`: Tocsin on one and on two one-worker
servers behind one Redis, the users dealt over them. Correctness only, never time (the
figures live in bench/results/ and docs/scaling.md)."""

import pytest

from tests.bench_cli import run_bench


@pytest.mark.postgres
def test_every_user_gets_each_fanout_exactly_once_whatever_server_holds_its_socket(tmp_path):
    data = run_bench("fanout", tmp_path, "--workers", "1,2", "--name", "fanout")
    users, rounds = data["settings"]["users"], data["settings"]["rounds"]
    assert data["settings"]["workers"] == [1, 2]
    assert data["servers"] == {}  # the peers are not run in this mode
    assert set(data["workers"]) == {"1", "2"}
    for n, result in data["workers"].items():
        assert result["failures"] == [], n
        assert result["opened"]["held"] == users
        assert result["master_exit"] == [0] * int(n)
        # The sockets are dealt evenly: each server holds its share.
        assert sorted(result["opened"]["held_each"]) == sorted(
            len(range(i, users, int(n))) for i in range(int(n))
        )
        assert len(result["rounds"]) == rounds + 1  # a warm-up, then the timed rounds
        for row in result["rounds"]:
            assert row["expected"] == row["received"] == users
            assert sum(row["received_each"]) == users
            assert len(row["worker_cpu_s"]) == int(n)
            for what in ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped"):
                assert row[what] == 0, (n, row["round"], what)
