"""Smoke test of the ingest benchmark (`python -m bench ingest --smoke`): correctness only.

On SQLite (gthread worker, embedded broker) and PostgreSQL (gevent worker, Redis), with
the features off and on (`--features both`), each path must commit every notification
(counted in the database) and every one but the ceiling's must reach each socket of its
user exactly once; with the features on, each must also stage a push and an email
delivery and enqueue their jobs (and, with quiet hours in force, hold every toast and
stage nothing). Rates are never asserted (they live in bench/results/ingest.md).
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
    assert_paths(paths, on=backend["features"] == "on")
    if backend["features"] == "on":
        assert set(backend["quiet"]) == PATHS - {"ceiling"}
        assert_paths(backend["quiet"], on=True, quiet=True)
    else:
        assert "quiet" not in backend


def assert_paths(paths: dict, on: bool, quiet: bool = False) -> None:
    per_user = CLIENTS // USERS
    for name, r in paths.items():
        assert r["failures"] == [], name
        assert r["errors"] == {}, name
        assert r["committed"] == COUNT, name
        if name == "ceiling":
            assert "features" not in r  # a bare INSERT either way
            continue
        if on:
            staged = {"deliveries": {}, "held": COUNT} if quiet else {"held": 0}
            if not quiet:
                staged["deliveries"] = {"push": COUNT, "email": COUNT}
            assert {k: r["features"][k] for k in staged} == staged, name
            assert (r["features"]["jobs"] == 0) == quiet, name
        else:
            assert "features" not in r, name
        assert r["expected"] == COUNT * per_user, name
        assert r["received"] == COUNT * per_user, name
        for what in ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped"):
            assert r[what] == 0, (name, what)
        assert r["per_s"] > 0, name


def test_sqlite_gthread_embedded_broker(tmp_path):
    data = run_bench(
        "ingest", tmp_path, "--backends", "sqlite", "--features", "both", postgres=False
    )
    assert [b["features"] for b in data["backends"]] == ["off", "on"]
    for backend in data["backends"]:
        assert (backend["backend"], backend["worker_class"]) == ("sqlite", "gthread")
        assert backend["broker"].startswith("database")
        assert_exactly_once(backend)
    assert_compared(data, "sqlite")


@pytest.mark.postgres
def test_postgresql_gevent_redis(tmp_path):
    data = run_bench("ingest", tmp_path, "--backends", "postgresql", "--features", "both")
    assert [b["features"] for b in data["backends"]] == ["off", "on"]
    for backend in data["backends"]:
        assert (backend["backend"], backend["worker_class"], backend["broker"]) == (
            "postgresql",
            "gevent",
            "redis",
        )
        assert_exactly_once(backend)
    assert_compared(data, "postgresql")


def assert_compared(data: dict, backend: str) -> None:
    """A row per path comparing off and on (its figures are not asserted: time)."""
    assert [(r["backend"], r["path"]) for r in data["features"]] == [
        (backend, name) for name in ("ceiling", "python", "python_many", "http")
    ]
