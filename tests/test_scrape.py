"""What /metrics reads at scrape time: the queue's depth (SQLite, Redis, Redis away) and
deliveries by channel and state (through the (state, due_at) index on PostgreSQL)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from tests.metrics_support import value
from tocsin import state
from tocsin.channels import scrape
from tocsin.extensions import db
from tocsin.models import Delivery, utcnow

ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
INDEX = "ix_tocsin_deliveries_state_due_at"


def test_queue_depth_counts_pending_and_scheduled_jobs(app, client):
    queue = state.of(app).queue
    assert value(client.get("/metrics").text, "tocsin_queue_depth", state="pending") == 0
    with app.app_context():
        queue.enqueue([3], eta=utcnow() + timedelta(hours=1))
        # As a consumer does: a job with an eta comes off the queue into the schedule.
        queue.huey.add_schedule(queue.huey.dequeue())
        queue.enqueue([1, 2])
    page = client.get("/metrics").text
    assert value(page, "tocsin_queue_up") == 1
    assert value(page, "tocsin_queue_depth", state="pending") == 1
    assert value(page, "tocsin_queue_depth", state="scheduled") == 1


def redis_app(tmp_path, monkeypatch, url: str, prefix: str):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'redis.sqlite3'}",
            "TOCSIN_REDIS_URL": url,
            "TOCSIN_REDIS_CHANNEL_PREFIX": prefix,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def test_queue_depth_on_redis(tmp_path, monkeypatch, redis_url, channel_prefix):
    app = redis_app(tmp_path, monkeypatch, redis_url, channel_prefix)
    huey = state.of(app).queue.huey
    try:
        with app.app_context():
            state.of(app).queue.enqueue(list(range(60)))  # 25 per job: 3 jobs
        page = app.test_client().get("/metrics").text
        assert value(page, "tocsin_queue_up") == 1
        assert value(page, "tocsin_queue_depth", state="pending") == 3
    finally:
        huey.flush()


def test_a_queue_that_does_not_answer_leaves_the_rest_of_the_page(tmp_path, monkeypatch):
    # Port 1: nothing listens; the connection is refused at once.
    app = redis_app(tmp_path, monkeypatch, "redis://127.0.0.1:1/0", "tocsin-test-away")
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert value(response.text, "tocsin_queue_up") == 0
    assert value(response.text, "tocsin_queue_depth", state="pending") is None
    assert value(response.text, "tocsin_open_sockets") is not None


def add_rows(counts: dict[tuple[str, str], int]) -> None:
    now, nid = utcnow(), 1
    for (channel, state_), n in counts.items():
        for _ in range(n):
            db.session.add(
                Delivery(notification_id=nid, user_id=1, channel=channel, state=state_, due_at=now)
            )
            nid += 1
    db.session.commit()


def test_deliveries_by_channel_and_state(app, client, ctx):
    add_rows(
        {
            ("email", "queued"): 3,
            ("email", "dead"): 2,
            ("push", "failed"): 1,
            ("push", "sent"): 5,
            ("email", "skipped"): 4,
        }
    )
    page = client.get("/metrics").text
    assert value(page, "tocsin_deliveries", channel="email", state="queued") == 3
    assert value(page, "tocsin_deliveries", channel="email", state="dead") == 2
    assert value(page, "tocsin_deliveries", channel="push", state="failed") == 1
    # Sent and skipped rows are not counted at scrape time (the workers' counters are).
    assert value(page, "tocsin_deliveries", channel="push", state="sent") is None
    assert value(page, "tocsin_deliveries", channel="email", state="skipped") is None


@ON_POSTGRES
def test_the_deliveries_count_reads_the_state_index(ctx):
    """50,000 sent rows and a few to count: the plan ranges over the index, no table scan."""
    db.session.execute(
        sa.text(
            "INSERT INTO tocsin_deliveries (notification_id, user_id, channel, state,"
            " attempts, created_at, updated_at, due_at)"
            " SELECT n, n % 100, CASE WHEN n % 2 = 0 THEN 'push' ELSE 'email' END,"
            " CASE WHEN n % 5000 = 0 THEN 'dead' WHEN n % 2500 = 1 THEN 'queued'"
            "  ELSE 'sent' END, 1, now(), now(), now()"
            " FROM generate_series(1, 50000) AS n"
        )
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE tocsin_deliveries")
    query = scrape.counts_query().compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = "\n".join(db.session.execute(sa.text(f"EXPLAIN {query}")).scalars())
    assert INDEX in plan and "Seq Scan" not in plan, plan
    counts = {(c, s): n for c, s, n in scrape.delivery_counts(db.session)}
    assert counts[("push", "dead")] == 10 and sum(counts.values()) == 30
