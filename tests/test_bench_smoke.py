"""Smoke test of the latency benchmark (`python -m bench latency --smoke`): correctness only.

Tocsin (gunicorn, PostgreSQL, Redis), peer A, peer A+ and peer B, both modes, with 6
sockets and 10 publishes: every notification must reach its user's socket exactly once
and no other socket, the peers must send the push Tocsin sent, and peer A+ must have
committed one row per notification it published (counted in PostgreSQL by the bench).
The figures themselves are never asserted (timings live in bench/results/). The command
exits non-zero if peer B accepts a socket without a user, or if gunicorn's master does
not exit cleanly.
"""

import pytest

from tests.bench_cli import run_bench

CLIENTS = 6  # the 5 probe users plus one crowd socket, which must receive nothing
PUBLISHES = 10
MODES = ("targeted", "broadcast")
SERVERS = ("tocsin", "peer_a", "peer_a_plus", "peer_b")
FIGURES = ("latency_ms", "after_publish_call_ms", "publish_call_ms")


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
            for figure in FIGURES:  # the tails are reported, not asserted
                assert {"p50_ms", "p99_ms", "p99_9_ms", "max_ms"} <= set(result[figure])
    # Peer A+ committed a row per notification: one per publish, one per user per broadcast.
    plus = row["peer_a_plus"]
    assert plus["targeted"]["rows_committed"] == PUBLISHES
    broadcast = plus["broadcast"]
    assert broadcast["rows_committed"] == broadcast["rows_expected"]
    assert broadcast["rows_committed"] >= PUBLISHES * CLIENTS
    assert broadcast["rows_committed"] % PUBLISHES == 0
    assert "rows_committed" not in row["peer_a"]["targeted"]
    # The peers send the bytes of a push Tocsin really sent in the run, id and stamp swapped.
    template = data["settings"]["peer_template"]
    assert "@@ID@@" in template and "@@STAMP@@" in template
    tocsin = row["tocsin"]["targeted"]["message_length_median"]
    for peer in ("peer_a", "peer_a_plus", "peer_b"):
        assert row[peer]["targeted"]["message_length_median"] == tocsin
    report = (tmp_path / "latency.md").read_text()
    assert report.startswith("# Publish-to-receipt latency")
    assert "Tocsin / peer A+" in report
    (entry,) = [
        e for e in data["aggregate"] if (e["server"], e["mode"]) == ("peer_a_plus", "targeted")
    ]
    assert entry["runs"] == 1 and entry["tocsin_over"]["p99_ms"]["median"] > 0
