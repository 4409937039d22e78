"""The embedded broker against a real database: two apps stand for two processes."""

import pytest
import sqlalchemy as sa

from app import create_app
from tocsin import broker, state
from tocsin.extensions import db
from tocsin.live.connection import Connection
from tocsin.models import BrokerEvent, utcnow


@pytest.fixture
def other_process(app, database_url):
    """A second app on the same database: its own broker, origin and registry."""
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "TOCSIN_BROKER_POLL_INTERVAL": 0.02,
        }
    )
    yield other
    state.of(other).broker.stop()
    with other.app_context():
        db.engine.dispose()


def listen(app, user_id=1) -> Connection:
    conn = Connection(user_id, 100)
    b = state.of(app).broker
    state.of(app).registry.add(conn)
    b.ensure_listening()
    return conn


def wait_for(conn, n, timeout=5.0):
    got = []
    while len(got) < n:
        batch = conn.wait(timeout)
        assert batch, f"only {got!r} arrived"
        got += batch
    return got


def test_publish_reaches_the_other_process_once(app, other_process):
    here, there = listen(app), listen(other_process)
    # ensure_listening() returns once the listener receives: nothing to wait for here.
    assert state.of(other_process).broker.state == "listening"
    with app.app_context():
        broker.publish(1, {"kind": "created", "ids": [1]})
    assert here.wait(0) == [{"kind": "created", "ids": [1]}]  # at once, in-process
    assert wait_for(there, 1) == [{"kind": "created", "ids": [1]}]
    # The publishing process skips its own rows, so its clients get each event once.
    assert here.wait(0.3) == []
    assert there.wait(0.3) == []
    state.of(app).broker.stop()


def test_ids_committed_out_of_order_are_not_missed(app):
    b = state.of(app).broker
    conn = Connection(1, 100)
    state.of(app).registry.add(conn)

    def row(id_):
        return {
            "id": id_,
            "user_id": 1,
            "payload": {"n": id_},
            "origin": "elsewhere",
            "created_at": utcnow(),
        }

    with app.app_context():
        engine = db.engine
        with engine.begin() as c:
            c.execute(sa.insert(BrokerEvent), [row(1), row(3)])
        gaps: dict = {}
        last = b._poll(engine, 0, gaps)
        assert last == 3 and set(gaps) == {2}
        with engine.begin() as c:  # the transaction that took id 2 commits late
            c.execute(sa.insert(BrokerEvent), [row(2)])
        last = b._poll(engine, last, gaps)
    assert [e["n"] for e in conn.wait(0)] == [1, 3, 2]
    assert last == 3 and gaps == {}
