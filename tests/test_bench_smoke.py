"""Smoke test of the latency benchmark (`python -m bench latency --smoke`): correctness only.

Tocsin (gunicorn, PostgreSQL, Redis), peer A and peer B, both modes, with 6 sockets and
10 publishes: every notification must reach its user's socket exactly once and no other
socket, and the peers must send the push Tocsin sent. The figures themselves are never
asserted (timings live in bench/results/). The command exits non-zero if peer B accepts
a socket without a user, or if gunicorn's master does not exit cleanly.
"""

import pytest

from tests.bench_cli import run_bench

CLIENTS = 6  # the 5 probe users plus one crowd socket, which must receive nothing
PUBLISHES = 10
MODES = ("targeted", "broadcast")
SERVERS = ("tocsin", "peer_a", "peer_b")


@pytest.mark.postgres
def test_every_server_delivers_every_notification_exactly_once(tmp_path):
    data = run_bench("latency", tmp_path)
    (row,) = data["runs"]
    assert row["clients"] == CLIENTS
    for server in SERVERS:
        assert set(row[server]) == set(MODES), server
        for mode, result in row[server].items():
            want = PUBLISHES if mode == "targeted" else PUBLISHES * CLIENTS
            where = (server, mode)
            assert result["mode"] == mode
            assert result["failures"] == [], where
            assert result["held"] == CLIENTS, where
            assert result["handshake_failed"] == 0, where
            assert result["warmup_lost"] == 0, where
            assert result["expected"] == want, where
            assert result["received"] == want, where
            for what in ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped"):
                assert result[what] == 0, (where, what)
            assert result["latency_ms"]["n"] == want, where
    # The peers send the bytes of a push Tocsin really sent in the run, id and stamp swapped.
    template = data["settings"]["peer_template"]
    assert "@@ID@@" in template and "@@STAMP@@" in template
    tocsin = row["tocsin"]["targeted"]["message_length_median"]
    for peer in ("peer_a", "peer_b"):
        assert row[peer]["targeted"]["message_length_median"] == tocsin
    assert (tmp_path / "latency.md").read_text().startswith("# Publish-to-receipt latency")
