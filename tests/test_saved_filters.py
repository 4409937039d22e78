"""Saved filters, the service: names trimmed and unique per user (case aside), at most
MAX_PER_USER, the query stored as the inbox normalises it, and every call scoped to the user."""

import pytest
from werkzeug.datastructures import MultiDict

from tests.conftest import user_id
from tocsin.extensions import db
from tocsin.models import SavedFilter
from tocsin.notifications import inbox_query, saved_filters
from tocsin.notifications.inbox_query import InboxQuery

TYPES = ("comment", "mention", "payment")


def query(*pairs: tuple[str, str]) -> InboxQuery:
    return inbox_query.parse(MultiDict(pairs), TYPES)


@pytest.fixture
def alice(ctx) -> int:
    return user_id("alice")


@pytest.fixture
def bob(ctx) -> int:
    return user_id("bob")


def test_create_stores_the_normalised_query_and_the_trimmed_name(alice):
    messy = query(
        ("type", "payment"), ("q", "  late   invoice "), ("type", "comment"),
        ("type", "payment"), ("state", "unread"), ("before", "99"), ("since", ""),
    )  # fmt: skip
    row = saved_filters.create(db.session, alice, "  Late payments  ", messy)
    stored = db.session.get(SavedFilter, row.id)
    assert stored.name == "Late payments"
    # Sorted types once each, words squeezed, no keyset `before`, no empty fields.
    assert stored.query == "state=unread&type=comment&type=payment&q=late+invoice"
    assert stored.query == messy.query_string()
    assert saved_filters.create(db.session, alice, "Everything", InboxQuery()).query == ""


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "give the filter a name"),
        ("   ", "give the filter a name"),
        ("x" * 81, "at most 80 characters"),
        ("two\nlines", "no line breaks"),
    ],
)
def test_bad_names_are_refused_with_a_reason(alice, name, message):
    with pytest.raises(saved_filters.BadFilter, match=message):
        saved_filters.create(db.session, alice, name, InboxQuery())
    assert saved_filters.listing(db.session, alice) == []


def test_a_name_of_80_characters_after_trimming_is_fine(alice):
    row = saved_filters.create(db.session, alice, " " + "x" * 80 + " ", InboxQuery())
    assert row.name == "x" * 80


def test_names_are_unique_per_user_whatever_the_case(alice, bob):
    saved_filters.create(db.session, alice, "Payments", query(("type", "payment")))
    with pytest.raises(saved_filters.FilterConflict, match="already have a filter named"):
        saved_filters.create(db.session, alice, "payments ", InboxQuery())
    # Another user's names are theirs.
    saved_filters.create(db.session, bob, "Payments", InboxQuery())
    assert [f.name for f in saved_filters.listing(db.session, alice)] == ["Payments"]


def test_a_query_too_long_to_store_is_refused(alice):
    long_types = tuple(f"type_{i:02d}_{'x' * 30}" for i in range(20))
    big = inbox_query.parse(
        MultiDict([("type", t) for t in long_types] + [("q", "y" * 200)]), long_types
    )
    with pytest.raises(saved_filters.BadFilter, match="too long to save"):
        saved_filters.create(db.session, alice, "Huge", big)


def test_at_most_the_limit_per_user(alice, bob, monkeypatch):
    monkeypatch.setattr(saved_filters, "MAX_PER_USER", 3)
    for i in range(3):
        saved_filters.create(db.session, alice, f"F{i}", InboxQuery())
    with pytest.raises(saved_filters.FilterConflict, match="at most 3 saved filters"):
        saved_filters.create(db.session, alice, "One more", InboxQuery())
    saved_filters.create(db.session, bob, "Bob's own", InboxQuery())  # counted per user
    saved_filters.delete(db.session, alice, saved_filters.listing(db.session, alice)[0].id)
    saved_filters.create(db.session, alice, "Room again", InboxQuery())


def test_listing_by_name_or_newest_first(alice):
    for name in ("beta", "Alpha", "gamma"):
        saved_filters.create(db.session, alice, name, InboxQuery())
    assert [f.name for f in saved_filters.listing(db.session, alice)] == ["Alpha", "beta", "gamma"]
    newest = saved_filters.listing(db.session, alice, "newest")
    assert [f.name for f in newest] == ["gamma", "Alpha", "beta"]


def test_rename_trims_checks_and_keeps_the_query(alice):
    row = saved_filters.create(db.session, alice, "Old", query(("q", "invoice")))
    other = saved_filters.create(db.session, alice, "Other", InboxQuery())
    renamed = saved_filters.rename(db.session, alice, row.id, "  New name ")
    assert (renamed.name, renamed.query) == ("New name", "q=invoice")
    # Its own name in another case is fine; another filter's is not.
    assert saved_filters.rename(db.session, alice, row.id, "NEW NAME").name == "NEW NAME"
    with pytest.raises(saved_filters.FilterConflict):
        saved_filters.rename(db.session, alice, row.id, "other")
    with pytest.raises(saved_filters.BadFilter):
        saved_filters.rename(db.session, alice, other.id, " ")
    assert db.session.get(SavedFilter, other.id).name == "Other"


def test_another_users_filter_is_not_found(alice, bob):
    row = saved_filters.create(db.session, alice, "Mine", InboxQuery())
    with pytest.raises(saved_filters.FilterNotFound):
        saved_filters.rename(db.session, bob, row.id, "Stolen")
    with pytest.raises(saved_filters.FilterNotFound):
        saved_filters.delete(db.session, bob, row.id)
    with pytest.raises(saved_filters.FilterNotFound):
        saved_filters.get(db.session, bob, row.id)
    assert saved_filters.listing(db.session, bob) == []
    assert db.session.get(SavedFilter, row.id).name == "Mine"


def test_delete_removes_only_that_filter(alice):
    keep = saved_filters.create(db.session, alice, "Keep", InboxQuery())
    gone = saved_filters.create(db.session, alice, "Gone", InboxQuery())
    assert saved_filters.delete(db.session, alice, gone.id).name == "Gone"
    assert [f.id for f in saved_filters.listing(db.session, alice)] == [keep.id]
    with pytest.raises(saved_filters.FilterNotFound):
        saved_filters.delete(db.session, alice, gone.id)


def test_the_unique_constraint_catches_a_duplicate_the_check_missed(alice, monkeypatch):
    """Two saves at the same moment: the database refuses the second, still a conflict."""
    saved_filters.create(db.session, alice, "Twice", InboxQuery())
    monkeypatch.setattr(saved_filters, "_check_unique", lambda rows, name: None)
    with pytest.raises(saved_filters.FilterConflict):
        saved_filters.create(db.session, alice, "Twice", InboxQuery())
    assert len(saved_filters.listing(db.session, alice)) == 1
