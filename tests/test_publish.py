import pytest
import sqlalchemy as sa

from app.models import User
from tests.conftest import user_id
from tocsin import Delivery, InvalidNotification, Rule, notify, notify_many, state
from tocsin.extensions import db
from tocsin.live.connection import Connection
from tocsin.models import Notification, Preference
from tocsin.notifications import queries, service
from tocsin.notifications.preferences import DEFAULTS

pytestmark = pytest.mark.usefixtures("ctx")


def rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification))


def test_notify_takes_a_user_an_id_or_a_name():
    alice = db.session.get(User, user_id("alice"))
    a = notify(alice, "comment", "by object", actor="bob")
    b = notify(alice.id, "comment", "by id")
    c = notify("alice", "like", "by name")
    assert {n.user_id for n in (a, b, c)} == {alice.id}
    assert (a.actor, c.priority) == ("bob", "low")  # like: the type's default priority
    assert queries.unread_count(db.session, alice.id) == 3


def test_notify_many_writes_once_per_recipient_and_pushes_each(app):
    registry = state.of(app).registry
    conns = {name: Connection(user_id(name), 10) for name in ("alice", "bob")}
    for conn in conns.values():
        registry.add(conn)
    ids = notify_many(["alice", "bob", "alice"], "system", "Maintenance", priority="high")
    assert len(ids) == 2 and rows() == 2  # alice once
    for name, conn in conns.items():
        (event,) = conn.wait(0)
        assert event["kind"] == "created"
        assert queries.get(db.session, user_id(name), event["ids"][0]) is not None


def test_unknown_recipients_are_listed_and_nothing_is_written():
    with pytest.raises(InvalidNotification, match=r"recipients: unknown 'zed', 999"):
        notify_many(["alice", "zed", 999], "comment", "Hi")
    with pytest.raises(InvalidNotification, match=r"recipients: unknown 2147483648"):
        notify_many([2**31], "comment", "Hi")  # past INTEGER: unknown, not a database error
    with pytest.raises(InvalidNotification, match="recipients: at least one"):
        notify_many([], "comment", "Hi")
    with pytest.raises(InvalidNotification, match="url"):
        notify_many(["alice"], "comment", "Hi", url="javascript:alert(1)")
    assert rows() == 0 and queries.unread_count(db.session, user_id("alice")) == 0


def test_fan_out_to_thousands_in_batches():
    db.session.execute(
        sa.insert(User), [{"username": f"u{i}", "password_hash": "x"} for i in range(2500)]
    )
    db.session.commit()
    everyone = list(db.session.scalars(sa.select(User.id)))
    ids = notify_many(everyone, "system", "Hello, everyone")
    assert len(ids) == len(everyone) == 2502 and rows() == 2502
    counts = db.session.execute(
        sa.text("SELECT count(*), min(unread), max(unread) FROM tocsin_unread_counters")
    ).one()
    assert tuple(counts) == (2502, 1, 1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "bell\x07"}, "title: must not contain control characters"),
        ({"body": "nul\x00"}, "body: must not contain NUL characters"),
        ({"data": {"x": float("inf")}}, "data: numbers must be finite"),
        ({"priority": "extreme"}, "priority: Input should be 'low', 'normal', 'high' or 'urgent'"),
        ({"actor": 7}, "actor: Input should be a valid string"),
    ],
)
def test_the_python_api_names_the_field_and_the_reason(fields, message):
    with pytest.raises(InvalidNotification) as caught:
        notify("alice", **{"type": "comment", "title": "Hi", **fields})
    assert str(caught.value) == message
    assert rows() == 0


class Statements:
    """The SQL statements the app's engine runs while in the `with` block."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def _record(self, conn, cursor, statement, *args) -> None:
        self.seen.append(" ".join(statement.split()))

    def __enter__(self) -> "Statements":
        sa.event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(db.engine, "before_cursor_execute", self._record)

    def reading(self, table: str) -> list[str]:
        return [s for s in self.seen if s.startswith("SELECT") and f"FROM {table}" in s]


def column_values(n: Notification) -> dict:
    return {c.key: getattr(n, c.key) for c in Notification.__table__.columns}


@pytest.mark.parametrize("own_session", [True, False])
def test_notify_hands_back_the_row_the_insert_returned_without_reading_it(own_session):
    """The row comes back from the INSERT's RETURNING, every column as stored (the defaults
    the database filled in too), and is the caller's session's object, as a query's would be."""
    alice = user_id("alice")
    kwargs = {} if own_session else {"session": db.session}
    with Statements() as statements:
        n = notify(alice, "comment", "Hi", body="there", data={"k": [1]}, **kwargs)
    assert statements.reading("tocsin_notifications") == []
    assert n in db.session and n.id is not None
    got = column_values(n)
    db.session.commit()
    db.session.expire_all()
    assert got == column_values(db.session.get_one(Notification, n.id))
    assert got["group_count"] == 1 and got["read_at"] is None and got["data"] == {"k": [1]}


class Seen(Rule):
    """A rule with no opinion that keeps the preferences each delivery came with."""

    def __init__(self) -> None:
        self.prefs: dict[int, object] = {}

    def decide(self, delivery: Delivery):
        self.prefs[delivery.recipient] = delivery.prefs


def test_a_publish_reads_its_recipients_and_their_preferences_in_one_query(app):
    alice, bob = user_id("alice"), user_id("bob")
    db.session.add(Preference(user_id=bob, channels={"comment": {"toast": False}}))
    db.session.commit()
    seen = Seen()
    state.of(app).policy.add(seen)
    with Statements() as statements:
        notify_many([alice, bob], "comment", "Hi")
    (users,) = [s for s in statements.seen if "tocsin_users" in s]
    assert "tocsin_preferences" in users
    assert [s for s in statements.seen if "tocsin_preferences" in s] == [users]
    # What that query read is what the rules were given.
    assert seen.prefs[bob].channels == {"comment": {"toast": False}}
    assert seen.prefs[alice] is DEFAULTS


def test_service_create_hands_back_the_row_without_reading_it():
    alice = user_id("alice")
    with Statements() as statements:
        n = service.create(db.session, alice, type="comment", title="Hi", data={"k": 1})
        got = column_values(n)  # loaded: reading it runs nothing
    assert statements.reading("tocsin_notifications") == []
    assert n in db.session
    db.session.expire_all()
    assert got == column_values(db.session.get_one(Notification, n.id))
