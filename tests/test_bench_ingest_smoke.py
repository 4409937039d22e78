"""Smoke test of the ingest benchmark (`python -m bench ingest --smoke`): correctness only.

On SQLite (gthread worker, embedded broker) and PostgreSQL (gevent worker, Redis), each
path must commit every notification (counted in the database) and every one but the
ceiling's must reach each socket of its user exactly once; rates are never asserted
(they live in bench/results/ingest.md).
"""

import pytest

from tests.bench_cli import run_bench

CLIENTS, USERS, COUNT = 6, 3, 10  # the smoke sizes: 3 users, 2 sockets each
PATHS = {"ceiling", "python", "python_many", "http"}


def assert_exactly_once(backend: dict) -> None:
    assert backend["held"] == CLIENTS
    assert backend["handshake_failed"] == 0
    assert backend["warmup"] == {"python": [], "http": []}
    assert "master_exit_code" not in backend  # gunicorn's master exited cleanly
    (paths,) = backend["rounds"]
    assert set(paths) == PATHS
    per_user = CLIENTS // USERS
    for name, r in paths.items():
        assert r["failures"] == [], name
        assert r["errors"] == {}, name
        assert r["committed"] == COUNT, name
        if name == "ceiling":
            continue
        assert r["expected"] == COUNT * per_user, name
        assert r["received"] == COUNT * per_user, name
        for what in ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped"):
            assert r[what] == 0, (name, what)
        assert r["per_s"] > 0, name


def test_sqlite_gthread_embedded_broker(tmp_path):
    data = run_bench("ingest", tmp_path, "--backends", "sqlite", postgres=False)
    (backend,) = data["backends"]
    assert (backend["backend"], backend["worker_class"]) == ("sqlite", "gthread")
    assert backend["broker"].startswith("database")
    assert_exactly_once(backend)


@pytest.mark.postgres
def test_postgresql_gevent_redis(tmp_path):
    data = run_bench("ingest", tmp_path, "--backends", "postgresql")
    (backend,) = data["backends"]
    assert (backend["backend"], backend["worker_class"], backend["broker"]) == (
        "postgresql",
        "gevent",
        "redis",
    )
    assert_exactly_once(backend)
