"""The inbox's filters: type, dates, full-text q and state in any mix, keyset paging under
them, highlighted matches from escaped text, 400s for bad input, one user's rows only."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tests.support import item_ids
from tocsin.extensions import db
from tocsin.models import Notification, Preference
from tocsin.notifications import search, service
from tocsin.notifications.inbox_query import InboxQuery


def _at(app, nid: int, when: datetime) -> None:
    with app.app_context():
        db.session.get(Notification, nid).created_at = when
        db.session.commit()


def ids(client, **args) -> list[int]:
    response = client.get("/notifications", query_string=args)
    assert response.status_code == 200, response.text
    return item_ids(response.text)


@pytest.fixture
def rows(notify):
    """Alice's rows of several types and words; bob has one that matches everything."""
    made = {
        "payment": notify(type="payment", title="Payment received", body="Invoice INV-2024"),
        "order": notify(type="order", title="Order shipped", body="Your parcel is on its way"),
        "comment": notify(type="comment", title="Nice photo", actor="zoë"),
        "mention": notify(type="mention", title="You were mentioned", body="about the payment"),
    }
    notify("bob", type="payment", title="Payment received", body="payment")
    return made


def test_type_is_repeatable(client, alice, rows):
    assert ids(client, type="order") == [rows["order"]]
    assert ids(client, type=["order", "payment"]) == [rows["order"], rows["payment"]]


def test_q_searches_title_body_and_actor_with_a_prefix(client, alice, rows):
    assert ids(client, q="shipped") == [rows["order"]]  # title
    assert ids(client, q="parcel") == [rows["order"]]  # body
    assert ids(client, q="zoë") == [rows["comment"]]  # actor
    assert ids(client, q="pay") == [rows["mention"], rows["payment"]]  # prefix, title or body
    assert ids(client, q="PAYMENT received") == [rows["payment"]]  # every word
    assert ids(client, q="inv 2024") == [rows["payment"]]  # a code, as written
    assert ids(client, q="nothing-like-this") == []


@pytest.mark.parametrize("q", ['"', "*", "a AND", "NEAR(x", "'; DROP", ":*", "()", "!"])
def test_query_syntax_is_only_words(client, alice, rows, q):
    assert client.get("/notifications", query_string={"q": q}).status_code == 200


def test_filters_mix_with_each_other_and_the_state(client, alice, rows):
    assert ids(client, q="payment", type="mention") == [rows["mention"]]
    with client.application.app_context():
        service.mark_read(db.session, user_id("alice"), rows["payment"])
    assert ids(client, q="payment", state="unread") == [rows["mention"]]
    assert ids(client, q="payment", state="read") == [rows["payment"]]
    assert ids(client, q="payment", state="archived") == []


def test_reading_keeps_the_index_and_editing_the_title_updates_it(client, alice, rows):
    with client.application.app_context():
        service.mark_read(db.session, user_id("alice"), rows["order"])
        db.session.get(Notification, rows["order"]).title = "Order delivered"
        db.session.commit()
    assert ids(client, q="delivered") == [rows["order"]]
    assert ids(client, q="shipped") == []
    assert ids(client, q="parcel") == [rows["order"]]


def test_dates_are_inclusive_days_in_the_users_timezone(app, client, alice, rows):
    # 2026-03-01 23:30 UTC is already 2 March in Auckland (UTC+13).
    _at(app, rows["order"], datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    _at(app, rows["payment"], datetime(2026, 2, 28, 9, 0, tzinfo=UTC))
    for nid in (rows["comment"], rows["mention"]):
        _at(app, nid, datetime(2026, 5, 1, tzinfo=UTC))
    assert ids(client, since="2026-03-01", until="2026-03-01") == [rows["order"]]
    assert ids(client, until="2026-03-01") == [rows["order"], rows["payment"]]
    with app.app_context():
        db.session.add(Preference(user_id=user_id("alice"), timezone="Pacific/Auckland"))
        db.session.commit()
    assert ids(client, since="2026-03-01", until="2026-03-01") == []
    assert ids(client, since="2026-03-02", until="2026-03-02") == [rows["order"]]
    assert ids(client, since="2026-03-02") == [rows["mention"], rows["comment"], rows["order"]]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"type": "nope"}, "type: unknown"),
        ({"since": "2026-13-01"}, "since must be a date"),
        ({"until": "yesterday"}, "until must be a date"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "since must not be after until"),
        ({"q": "x" * 201}, "q: at most 200"),
        ({"state": "all"}, "state must be one of"),
        ({"type": [f"t{i}" for i in range(21)]}, "type: at most 20"),
    ],
)
def test_bad_input_is_a_400_that_says_why(client, alice, args, message):
    response = client.get("/notifications", query_string=args)
    assert response.status_code == 400
    assert message in response.text


@pytest.mark.parametrize("probe", [2000, 5, 0], ids=["one-step", "two-step", "gin-only"])
def test_keyset_pages_under_filters_skip_and_repeat_nothing(
    app, client, alice, notify, monkeypatch, probe
):
    # On PostgreSQL a word search reads the newest PROBE rows, then the GIN index.
    monkeypatch.setattr(search, "PROBE", probe)
    app.config["TOCSIN_PAGE_SIZE"] = 4
    wanted = []
    for i in range(23):
        nid = notify(type="payment" if i % 3 else "order", title=f"Invoice {i}", body="due")
        notify(type="payment", title=f"Other {i}")  # interleaved, never matches
        if i % 3:
            wanted.append(nid)
    seen, url, pages = [], "/notifications?type=payment&q=invoice", 0
    while url:
        page = client.get(url).text
        seen += item_ids(page)
        found = re.search(r'href="(/notifications\?[^"]*before=\d+)"', page)
        url = found and found[1].replace("&amp;", "&")
        pages += 1
    assert seen == wanted[::-1]
    assert pages == -(-len(wanted) // 4)


def test_the_load_more_link_and_tabs_carry_the_filters(app, client, alice, notify):
    app.config["TOCSIN_PAGE_SIZE"] = 2
    for _ in range(3):
        notify(type="order", title="Order shipped")
    page = client.get("/notifications?state=unread&type=order&q=ship").text
    assert "/notifications?state=unread&amp;type=order&amp;q=ship&amp;before=" in page
    assert 'href="/notifications?state=read&amp;type=order&amp;q=ship"' in page
    assert 'href="/notifications?type=order&amp;q=ship"' in page  # All keeps the filters


def test_tab_counts_follow_the_filters(client, alice, rows):
    page = client.get("/notifications?type=payment").text
    counts = re.findall(r'class="tocsin-tab-count">([^<]*)<', page)
    assert counts == ["1", "1", "0"]  # Archived's only on its own tab under a filter
    # None under a word search: counting every match of a common word is a long read.
    assert "tocsin-tab-count" not in client.get("/notifications?q=payment").text
    page = client.get("/notifications").text
    assert re.findall(r'class="tocsin-tab-count">([^<]*)<', page) == ["4", "4", "0", "0"]


def test_counts_stop_at_the_cap(app, rows, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    monkeypatch.setattr(search, "FILTERED_CAP", 1)
    with app.app_context():
        counts = search.tab_counts(db.session, user_id("alice"), InboxQuery(), UTC)
        assert counts == {None: "2+", "unread": "4", "read": "0", "archived": "0"}
        types = InboxQuery(types=("order", "payment"))
        counts = search.tab_counts(db.session, user_id("alice"), types, UTC)
        assert counts == {None: "1+", "unread": "1+", "read": "0"}  # Archived: on its tab
        archived = InboxQuery(state="archived", types=("order",))
        counts = search.tab_counts(db.session, user_id("alice"), archived, UTC)
        assert counts == {None: "1", "unread": "1", "read": "0", "archived": "0"}


def test_a_date_range_between_rows_is_empty(app, client, alice, rows):
    _at(app, rows["order"], datetime(2026, 3, 1, 12, tzinfo=UTC))
    for nid in (rows["payment"], rows["comment"], rows["mention"]):
        _at(app, nid, datetime(2026, 5, 1, 12, tzinfo=UTC))
    assert ids(client, since="2026-04-01", until="2026-04-30") == []
    assert ids(client, since="2026-06-01") == []
    assert ids(client, until="2026-02-01") == []
    page = client.get("/notifications?since=2026-04-01&until=2026-04-30").text
    assert re.findall(r'class="tocsin-tab-count">([^<]*)<', page) == ["0"] * 3


def test_a_grown_group_is_dated_by_its_newest_member(app, client, alice, rows):
    with app.app_context():
        row = db.session.get(Notification, rows["order"])
        row.created_at = datetime(2026, 1, 1, tzinfo=UTC)
        row.updated_at = datetime(2026, 5, 1, tzinfo=UTC)
        db.session.commit()
    assert rows["order"] in ids(client, since="2026-05-01", until="2026-05-01")
    assert rows["order"] not in ids(client, until="2026-01-01")


def test_matches_are_marked_in_escaped_text(client, alice, notify):
    nid = notify(type="system", title="<b>pay</b>ment <script>x</script>", body="pay <i>now</i>")
    page = client.get("/notifications?q=pay").text
    assert item_ids(page) == [nid]
    assert "&lt;b&gt;<mark>pay</mark>&lt;/b&gt;ment &lt;script&gt;x&lt;/script&gt;" in page
    assert "<mark>pay</mark> &lt;i&gt;now&lt;/i&gt;" in page
    assert "<b>" not in page and "<script>x" not in page


def test_without_a_search_nothing_is_marked(client, alice, notify):
    notify(type="system", title="pay me")
    assert "<mark>" not in client.get("/notifications").text
    assert "<mark>" not in client.get("/notifications?type=system").text


def test_only_the_users_own_rows_are_found(client, alice, rows):
    assert ids(client, q="received") == [rows["payment"]]
    assert ids(client, type="payment") == [rows["payment"]]


def test_the_form_works_without_javascript_and_with_htmx(client, alice, rows):
    page = client.get("/notifications?q=parcel&type=order").text
    form = re.search(r'<form id="notification-inbox-filters".*?</form>', page, re.S)[0]
    assert 'method="get"' in form and 'hx-push-url="true"' in form
    assert 'type="search"' in form and 'value="parcel"' in form
    assert re.search(r'value="order"\s+checked', form)
    assert '<label class="tocsin-filters-q" for="notification-search">' in form


def test_the_bulk_form_comes_back_to_the_filtered_list(client, alice, rows):
    page = client.get("/notifications?state=unread&type=order&q=ship").text
    assert 'name="next" value="/notifications?state=unread&amp;type=order&amp;q=ship"' in page
    plain = client.get("/notifications?state=unread").text
    assert 'name="next" value="/notifications?state=unread"' in plain


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_reading_a_row_never_touches_the_full_text_index(app, rows):
    """The update trigger fires on title, body and actor only: a read is one row write."""
    with app.app_context():
        triggers = dict(
            db.session.execute(
                sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
        )
        assert "AFTER UPDATE OF title, body, actor" in triggers["tocsin_notifications_fts_update"]
        conn = db.session.connection()
        before = conn.exec_driver_sql("SELECT total_changes()").scalar()
        db.session.get(Notification, rows["order"]).read_at = datetime.now(UTC)
        db.session.flush()
        assert conn.exec_driver_sql("SELECT total_changes()").scalar() - before == 1
        db.session.get(Notification, rows["order"]).title = "Order delivered"
        db.session.flush()
        assert conn.exec_driver_sql("SELECT total_changes()").scalar() - before > 2
        db.session.rollback()
