"""Smoke test of the reconnect storm (`python -m bench reconnect --smoke`): correctness only.

Tocsin under gunicorn on PostgreSQL with Redis; ten sockets over two users; the worker is
killed with SIGKILL once while the bench publishes. Every socket must come back, and its
page model must hold every notification the database has for its user (no miss, no
duplicate) with the badge the database gives; the times are never asserted.
"""

import pytest

from tests.bench_cli import run_bench

SOCKETS = 10


@pytest.mark.postgres
def test_a_killed_worker_loses_no_notification(tmp_path):
    data = run_bench("reconnect", tmp_path)
    (row,) = data["runs"]
    assert (row["server"], row["signal"]) == ("tocsin", "SIGKILL")
    assert data["settings"]["seed"] > data["settings"]["page_size"]  # a full first page
    assert row["held_at_kill"] == SOCKETS
    assert row["close_codes"] == {"1006": SOCKETS}  # a crash sends no close frame
    assert row["back"] == SOCKETS
    assert row["away_pairs"] > 0  # notifications were published while sockets were away
    assert row["published_not_committed"] == 0
    assert row["missed"] == 0
    assert row["duplicated"] == 0
    assert row["unknown_ids"] == 0
    assert row["badge_wrong"] == 0
    assert row["counter_row_wrong"] == 0
    assert row["not_connected_at_end"] == 0
    assert row["failures"] == []  # includes gunicorn's master exiting cleanly
