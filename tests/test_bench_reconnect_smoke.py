"""Smoke test of the reconnect-storm harness (bench.reconnect): tiny sizes, correctness only.

Tocsin under gunicorn on PostgreSQL with Redis; ten sockets over two users; the worker is
killed with SIGKILL once while the test publishes. Every socket must come back, and its
page model must hold every notification the database has for its user (no miss, no
duplicate) with the badge the database gives; the times are never asserted.
"""

import pytest

from app import create_app
from bench import reconnect
from tests.support import GunicornServer, server_env
from tocsin import state
from tocsin.extensions import db

SOCKETS = 10
USERS = 2


@pytest.mark.postgres
def test_a_killed_worker_loses_no_notification(redis_url, channel_prefix, tmp_path, monkeypatch):
    from tests.conftest import postgres_url

    db_url = postgres_url()
    settings = {"TOCSIN_REDIS_URL": redis_url, "TOCSIN_REDIS_CHANNEL_PREFIX": channel_prefix}
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret", **settings})
    page = app.config["TOCSIN_PAGE_SIZE"]
    st = reconnect.Settings(
        sockets=SOCKETS,
        users=USERS,
        rate=20.0,
        seed=page + 2,  # a full first page, so the check starts at its oldest item
        before_s=0.5,
        after_s=0.5,
        back_timeout_s=30.0,
        settle_s=0.3,
        pinned=False,
        page_size=page,
    )
    keys = reconnect.user_keys(USERS)
    with app.app_context():
        db.drop_all()
        db.session.remove()
    user_ids = reconnect.create_users(app, keys)
    reconnect.seed_users(app, user_ids, st.seed)
    server = GunicornServer(server_env(tmp_path, db_url, **settings)).start()
    try:
        cookies = reconnect.login_all(server.url, keys)
        (row,) = reconnect.tocsin_rounds(
            server.url, server.proc.pid, app, cookies, user_ids, ["KILL"], st, tmp_path
        )
    finally:
        server.stop()
        state.of(app).broker.stop()
        with app.app_context():
            db.engine.dispose()
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
    assert row["failures"] == []
    assert server.returncode == 0
