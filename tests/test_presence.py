"""Presence stores: a tab's entry written, refreshed, expired and removed; both stores."""

import time

import pytest

from tests.support import wait_until
from tocsin import state
from tocsin.channels.presence import Tab, new_key, process_id
from tocsin.channels.presence_db import DatabasePresence
from tocsin.channels.presence_redis import RedisPresence

TTL = 60.0


@pytest.fixture(params=["database", "redis"])
def make(request, app):
    """Build a store of the given kind and TTL (the database one on both databases)."""
    made: list = []

    def make(ttl: float = TTL):
        if request.param == "database":
            store = DatabasePresence(ttl)
        else:
            url = request.getfixturevalue("redis_url")
            store = RedisPresence(url, request.getfixturevalue("channel_prefix"), ttl)
        made.append(store)
        return store

    with app.app_context():
        yield make
    for store in made:
        if isinstance(store, RedisPresence):
            keys = store.client.keys(f"{store.prefix}*")
            if keys:
                store.client.delete(*keys)
            store.client.close()


def test_the_app_gets_the_database_store_without_redis(app):
    assert isinstance(state.of(app).presence, DatabasePresence)
    assert state.of(app).presence.ttl == 60


def test_visible_hidden_closed(make):
    store = make()
    key = new_key()
    assert store.tabs(1) == [] and not store.any_visible(1)
    store.report(key, 1, True)
    assert store.tabs(1) == [True] and store.any_visible(1)
    store.report(key, 1, False)
    assert store.tabs(1) == [False] and not store.any_visible(1)
    store.report(key, 1, True)
    store.forget(key)
    assert store.tabs(1) == [] and not store.any_visible(1)


def test_one_visible_tab_among_hidden_ones_counts_and_other_users_are_apart(make):
    store = make()
    hidden, shown = new_key(), new_key()
    store.report(hidden, 1, False)
    store.report(shown, 1, True)
    store.report(new_key(), 2, False)
    assert store.tabs(1) == [True, False] and store.any_visible(1)
    assert store.tabs(2) == [False] and not store.any_visible(2)
    store.forget(shown)
    assert store.tabs(1) == [False] and not store.any_visible(1)


def test_entries_expire_unless_their_process_refreshes_them(make):
    # A process that stopped refreshing (it died): its tab stops counting after the TTL.
    store = make(ttl=0.5)
    store.report(new_key(), 1, True)
    assert store.any_visible(1)
    wait_until(lambda: not store.any_visible(1), what="the entry to expire")
    assert store.tabs(1) == []
    # A live process refreshes every third of the TTL: its entries count again.
    wait_until(lambda: (store.refresh_due(), store.any_visible(1))[1], what="a refresh")


def test_a_refresh_keeps_entries_alive_and_waits_a_third_of_the_ttl(make):
    store = make(ttl=TTL)
    key = new_key()
    store.report(key, 1, True)
    refreshed = store._refreshed
    store.refresh_due()  # just written: not due
    assert store._refreshed == refreshed
    store._refreshed = time.monotonic() - TTL / 3
    store.refresh_due()
    assert store._refreshed > refreshed and store.any_visible(1)


def test_forgetting_an_unknown_key_does_nothing(make):
    store = make()
    store.forget("nobody:1")
    assert store.tabs(1) == []


def test_a_store_that_is_down_never_raises_into_the_socket(app):
    store = RedisPresence("redis://127.0.0.1:1/0", "tocsin-test-down", TTL)
    store.report(new_key(), 1, True)  # logged, not raised
    store.forget(new_key())
    with pytest.raises(Exception):  # noqa: B017, PT011 - a worker's question fails loudly
        store.any_visible(1)


def test_a_tab_writes_only_changes_and_removes_its_entry_on_close(make):
    store = make()
    tab = Tab(store, 7)
    assert tab.key.startswith(process_id() + ":") and len(tab.key) <= 64
    tab.update(None)  # the page has not said yet
    assert store.tabs(7) == []
    tab.update(True)
    tab.update(True)
    assert store.tabs(7) == [True]
    tab.update(False)
    assert store.tabs(7) == [False]
    tab.close()
    assert store.tabs(7) == []


def test_a_tab_without_a_store_does_nothing():
    tab = Tab(None, 7)
    tab.update(True)
    tab.close()
    assert tab.reported is None
