"""The panel's All / Unread tabs (issue 14): the route's `state`, the Unread tab's own list
and "Load more", and a snapshot that never lands in the Unread tab's list."""

import re

import pytest
from flask_login import login_user

from app import users
from tests.conftest import user_id
from tests.support import item_ids
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection
from tocsin.notifications import housekeeping, service

UP_TO_RE = re.compile(r'id="notification-up-to"[^>]*value="(\d+)"')


def read(app, *ids: int) -> None:
    with app.app_context():
        for nid in ids:
            service.mark_read(db.session, user_id("alice"), nid)


def tab(text: str, name: str) -> str:
    return re.search(rf'<a id="notification-panel-tab-{name}"[^>]*>', text).group(0)


def test_the_panel_opens_on_all_with_both_tabs(client, alice, notify):
    first, second = notify(title="First"), notify(title="Second")
    read(client.application, first)
    panel = client.get("/notifications/panel").text
    assert item_ids(panel) == [second, first]
    assert 'aria-current="true"' in tab(panel, "all")
    assert "aria-current" not in tab(panel, "unread")
    unread = tab(panel, "unread")
    # htmx loads the tab in place; without JavaScript the link opens the inbox's Unread tab.
    assert 'hx-get="/notifications/panel?state=unread"' in unread
    assert 'href="/notifications?state=unread"' in unread
    assert 'hx-target="#notification-panel" hx-swap="outerHTML"' in unread
    assert 'data-tocsin-panel-tab="unread"' in unread
    assert '<ul id="notification-list"' in panel and "notification-panel-unread" not in panel


def test_the_unread_tab_lists_unread_rows_only(app, client, alice, notify):
    old, first, archived, newest_read = (notify(title=t) for t in ("Old", "First", "Gone", "Read"))
    read(app, old, newest_read)
    with app.app_context():
        housekeeping.archive(db.session, user_id("alice"), [archived])
    notify("bob", title="Bob's")
    panel = client.get("/notifications/panel?state=unread").text
    assert item_ids(panel) == [first]
    assert 'aria-current="true"' in tab(panel, "unread")
    assert re.search(
        r'<ul id="notification-panel-unread" class="tocsin-list" role="list" '
        r'data-state="unread" data-tocsin-live="unread">',
        panel,
    )
    # Not the live list's ids: a snapshot (the All tab's first page) never lands here.
    assert 'id="notification-list"' not in panel and 'id="notification-load-more"' not in panel
    # "Mark all as read" covers what this tab showed.
    assert UP_TO_RE.search(panel).group(1) == str(first)
    assert "No unread notifications." in panel


def test_the_unread_tab_pages_with_its_own_load_more(app, client, alice, notify):
    app.config["TOCSIN_PAGE_SIZE"] = 2
    ids = [notify(title=f"n{i}") for i in range(5)]
    read(app, ids[3])
    panel = client.get("/notifications/panel?state=unread").text
    assert item_ids(panel) == [ids[4], ids[2]]
    more = re.search(r'<div id="notification-panel-more"[^>]*>(.*?)</div>', panel, re.S).group(1)
    assert f'hx-get="/notifications/panel?state=unread&amp;before={ids[2]}"' in more
    assert 'hx-target="#notification-panel-unread" hx-swap="beforeend"' in more
    assert f'href="/notifications?state=unread&amp;before={ids[2]}"' in more
    page = client.get(f"/notifications/panel?state=unread&before={ids[2]}").text
    assert item_ids(page) == [ids[1], ids[0]]
    assert re.search(r'<div id="notification-panel-more" class="tocsin-load-more" '
                     r'hx-swap-oob="true"></div>', page)  # fmt: skip
    # The All tab's pages are as before.
    assert 'id="notification-load-more"' in client.get(f"/notifications/panel?before={ids[2]}").text


@pytest.mark.parametrize("state", ["read", "archived", "everything", "UNREAD"])
def test_other_states_are_a_400(client, alice, state):
    response = client.get(f"/notifications/panel?state={state}")
    assert response.status_code == 400 and b"the panel shows all" in response.data


def test_an_empty_state_is_the_all_tab(client, alice, notify):
    nid = notify()
    assert item_ids(client.get("/notifications/panel?state=").text) == [nid]


def test_the_snapshot_targets_the_all_tab_only(app, notify):
    """What a reconnect sends: the live list and its "Load more", nothing of the Unread tab
    (tocsin-filters.js copies the snapshot's unread rows into that list)."""
    ids = [notify(title=f"n{i}") for i in range(3)]
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        conn = Connection(user_id("alice"), maxsize=8)
        conn.csrf_token = "token"
        snapshot = push.snapshot(db.session, conn)
    oob = set(re.findall(r'id="([\w-]+)"[^>]*hx-swap-oob', snapshot))
    assert {"notification-list", "notification-load-more"} <= oob
    assert not {"notification-panel-unread", "notification-panel-more"} & oob
    assert item_ids(snapshot) == ids[::-1]
