"""Smoke test of `python -m bench streams --smoke`: correctness only, never a time.

One gevent worker on PostgreSQL with Redis holds twenty event streams, then twenty
WebSockets; every one must get its snapshot and still be open after the window.
"""

import pytest

from tests.bench_cli import run_bench


@pytest.mark.postgres
def test_a_worker_holds_every_stream_and_socket(tmp_path):
    data = run_bench("streams", tmp_path, "--name", "streams")
    assert [r["kind"] for r in data["runs"]] == ["sse", "ws"]
    for run in data["runs"]:
        assert run["held"] == run["count"] == run["held_after_window"] == 20
    assert data["failures"] == []
    assert {row["kind"] for row in data["summary"]} == {"sse", "ws"}
