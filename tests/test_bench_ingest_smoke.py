"""Smoke test of the ingest harness (bench.ingest): tiny sizes, correctness only.

Each path must commit every notification (counted in the database) and every one but
the ceiling's must reach each socket of its user exactly once; rates are never asserted
(they live in bench/results/ingest.md).
"""

import pytest

from bench import ingest
from tests.support import GunicornServer, server_env
from tocsin import state
from tocsin.extensions import db

SETTINGS = ingest.Settings(
    clients=6,  # 3 users, 2 sockets each
    users=3,
    count=10,
    http_concurrency=2,
    batch=3,
    rounds=1,
    warmup=3,
    timeout_s=15,
    settle_s=0.3,
)


def run(tmp_path, db_url: str, worker_class: str, redis_url=None, prefix="tocsin") -> dict:
    settings = {"TOCSIN_REDIS_URL": redis_url, "TOCSIN_REDIS_CHANNEL_PREFIX": prefix}
    env = server_env(tmp_path, db_url, **{k: v for k, v in settings.items() if v})
    if redis_url is None:
        env.pop("TOCSIN_REDIS_URL", None)
    app = ingest.make_app(
        db_url, env["TOCSIN_SECRET_KEY"], redis_url, prefix, env["TOCSIN_BROKER_POLL_INTERVAL"]
    )
    with app.app_context():
        db.drop_all()
    user_ids, token = ingest.setup_database(app, SETTINGS.users)
    server = GunicornServer(env, worker_class=worker_class).start()
    try:
        cookies = ingest.login_all(server.url, list(user_ids))
        target = ingest.Target(
            "test", server.url, app, token, user_ids, cookies, server.worker_pids()[0]
        )
        result = ingest.measure(target, SETTINGS, tmp_path)
    finally:
        server.stop()
        state.of(app).broker.stop()
        with app.app_context():
            db.engine.dispose()
    assert server.returncode == 0
    return result


def assert_exactly_once(result: dict) -> None:
    assert result["held"] == SETTINGS.clients
    assert result["handshake_failed"] == 0
    assert result["warmup"] == {"python": [], "http": []}
    (paths,) = result["rounds"]
    assert set(paths) == set(ingest.PATHS)
    per_user = SETTINGS.clients // SETTINGS.users
    for name, r in paths.items():
        assert r["failures"] == [], name
        assert r["errors"] == {}, name
        assert r["committed"] == SETTINGS.count, name
        if name == "ceiling":
            continue
        assert r["expected"] == SETTINGS.count * per_user, name
        assert r["received"] == SETTINGS.count * per_user, name
        for what in ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped"):
            assert r[what] == 0, (name, what)
        assert r["per_s"] > 0, name


def test_sqlite_gthread_embedded_broker(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TOCSIN_REDIS_URL", raising=False)
    result = run(tmp_path, f"sqlite:///{tmp_path / 'ingest.sqlite3'}", "gthread")
    assert_exactly_once(result)


@pytest.mark.postgres
def test_postgresql_gevent_redis(tmp_path, monkeypatch, redis_url, channel_prefix):
    from tests.conftest import postgres_url

    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    result = run(tmp_path, postgres_url(), "gevent", redis_url, channel_prefix)
    assert_exactly_once(result)
