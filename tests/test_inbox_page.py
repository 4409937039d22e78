"""The inbox page: its state tabs, paging within a state, and the bulk form as plain HTML."""

import re

import pytest

from tests.conftest import user_id
from tests.support import item_ids
from tocsin.extensions import db
from tocsin.models import Notification, utcnow
from tocsin.notifications import service


@pytest.fixture
def rows(app):
    """Alice's rows: two unread, two read, two archived; return their ids by state."""
    with app.app_context():
        uid = user_id("alice")
        ids = [service.create(db.session, uid, type="comment", title=f"n{i}").id for i in range(6)]
        now = utcnow()
        for nid in ids[2:4]:
            service.mark_read(db.session, uid, nid)
        for nid in ids[4:]:
            row = db.session.get(Notification, nid)
            row.read_at = row.read_at or now
            row.archived_at = now
        db.session.commit()
    return {"unread": ids[:2], "read": ids[2:4], "archived": ids[4:]}


def tab(page: str) -> str:
    """The label of the tab marked current."""
    return re.search(r'<a class="tocsin-tab" href="[^"]*" aria-current="page">(\w+)[ <]', page)[1]


def test_each_state_lists_its_rows_newest_first(client, alice, rows):
    everything = client.get("/notifications").text
    assert item_ids(everything) == rows["read"][::-1] + rows["unread"][::-1]
    assert tab(everything) == "All" and 'id="notification-list"' in everything
    for state in ("unread", "read", "archived"):
        page = client.get(f"/notifications?state={state}").text
        assert item_ids(page) == rows[state][::-1], state
        assert tab(page) == state.capitalize()
        # Only All's newest page is the live list: a snapshot must not fill another tab.
        assert f'id="notification-list-{state}"' in page and 'id="notification-list"' not in page


def test_empty_state_means_all(client, alice, rows):
    assert tab(client.get("/notifications?state=").text) == "All"


@pytest.mark.parametrize("bad", ["archive", "UNREAD", "all", "read ", "x" * 300])
def test_an_unknown_state_is_a_400_that_names_the_choices(client, alice, bad):
    response = client.get("/notifications", query_string={"state": bad})
    assert response.status_code == 400
    assert "unread, read, archived" in response.text


def test_tabs_are_links_one_marked_current(client, alice):
    page = client.get("/notifications?state=read").text
    links = re.findall(r'<a class="tocsin-tab" href="([^"]+)"', page)
    assert links == [
        "/notifications",
        "/notifications?state=unread",
        "/notifications?state=read",
        "/notifications?state=archived",
    ]
    assert page.count('aria-current="page"') == 2  # the tab, and the bell on its own page


def test_paging_keeps_the_state(app, client, alice, rows):
    app.config["TOCSIN_PAGE_SIZE"] = 1
    first = client.get("/notifications?state=archived").text
    newest, oldest = rows["archived"][::-1]
    assert item_ids(first) == [newest]
    link = f"/notifications?state=archived&amp;before={newest}"
    assert f'href="{link}"' in first and f'hx-get="{link}"' in first
    assert 'hx-target="#notification-list-archived"' in first
    # Not #notification-load-more: a snapshot replaces that one with All's next page.
    assert 'id="notification-inbox-more"' in first and 'id="notification-load-more"' not in first
    second = client.get(f"/notifications?state=archived&before={newest}").text
    assert item_ids(second) == [oldest] and tab(second) == "Archived"
    assert 'id="notification-older"' in second and "before=" not in second.split("load-more")[1]


def test_mark_all_read_shows_only_where_there_is_something_to_read(client, alice, rows):
    for state, shown in (("", True), ("unread", True), ("read", False), ("archived", False)):
        page = client.get(f"/notifications?state={state}").text
        assert ("Mark all as read" in page) is shown, state


def test_bulk_form_works_as_plain_html(client, alice, rows):
    page = client.get("/notifications?state=unread").text
    form = re.search(r'<form id="notification-bulk"[^>]*>', page)[0]
    assert 'method="post"' in form and 'action="/notifications/bulk"' in form
    assert 'name="csrf_token"' in page
    assert '<input type="hidden" name="next" value="/notifications?state=unread">' in page
    # Every row's box joins the form by its id, and is labelled by the row's title.
    for nid in rows["unread"]:
        box = f'<input type="checkbox" name="ids" value="{nid}" form="notification-bulk">'
        assert box in page
    assert '<span class="tocsin-visually-hidden">Select n0</span>' in page
    actions = re.findall(r'name="action" value="(\w+)"', page)
    assert actions == ["read", "unread", "archive", "delete"]
    # Never disabled in the markup: without JavaScript nothing would enable them.
    assert "disabled" not in page.split('id="notification-bulk"')[1].split("</form>")[0]


def test_archived_tab_offers_unarchive(client, alice, rows):
    page = client.get("/notifications?state=archived").text
    assert re.findall(r'name="action" value="(\w+)"', page) == ["unarchive", "unread", "delete"]


def test_the_panel_renders_no_bulk_form(client, alice, rows):
    panel = client.get("/notifications/panel").text
    assert 'id="notification-bulk"' not in panel  # its rows' boxes join nothing (CSS hides them)
