"""Saved filter routes: save, rename and delete with htmx (the sidebar re-rendered) and as
plain forms (303 back); CSRF, another user's filter a 404, bad input a 4xx with its message;
the sidebar on the inbox page with the current filter marked."""

import re

import pytest

from tests.conftest import user_id
from tocsin.extensions import db
from tocsin.models import SavedFilter
from tocsin.notifications import saved_filters

SIDEBAR_RE = re.compile(r'<aside id="tocsin-saved-filters"')


def names(app, name="alice") -> list[str]:
    with app.app_context():
        return [f.name for f in saved_filters.listing(db.session, user_id(name))]


def stored(app, name: str) -> SavedFilter:
    with app.app_context():
        (row,) = [f for f in saved_filters.listing(db.session, user_id("alice")) if f.name == name]
        db.session.expunge(row)
        return row


def test_the_inbox_shows_the_sidebar_with_a_form_carrying_the_current_query(client, alice):
    page = client.get("/notifications?type=mention&type=comment&q=roadmap&before=5").text
    assert len(SIDEBAR_RE.findall(page)) == 1
    form = page[page.index('class="tocsin-saved-new"') :]
    form = form[: form.index("</form>")]
    hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)
    assert [(k, v) for k, v in hidden if k not in ("csrf_token", "next")] == [
        ("type", "comment"),
        ("type", "mention"),
        ("q", "roadmap"),
    ]
    assert ("next", "/notifications?type=comment&amp;type=mention&amp;q=roadmap") in hidden
    assert 'aria-labelledby="tocsin-saved-filters-title"' in page


def test_plain_form_saves_the_normalised_query_and_goes_back(app, client, alice):
    response = alice.post(
        "/notifications/filters",
        {"name": " Mentions ", "type": ["mention", "comment"], "state": "unread",
         "q": " big   news ", "since": "", "next": "/notifications?state=unread"},
    )  # fmt: skip
    assert response.status_code == 303 and response.location == "/notifications?state=unread"
    row = stored(app, "Mentions")
    assert row.query == "state=unread&type=comment&type=mention&q=big+news"
    # The filter opens that view, and shows as current there (only there).
    page = client.get("/notifications?" + row.query).text
    link = re.search(rf'<a id="tocsin-saved-link-{row.id}"[^>]*>', page).group(0)
    href = "/notifications?state=unread&amp;type=comment&amp;type=mention&amp;q=big+news"
    assert f'href="{href}"' in link
    assert 'aria-current="page"' in link
    assert 'aria-current="page"' not in re.search(
        rf'<a id="tocsin-saved-link-{row.id}"[^>]*>', client.get("/notifications").text
    ).group(0)


def test_htmx_save_answers_with_the_sidebar_and_focuses_the_new_filter(app, alice):
    response = alice.post(
        "/notifications/filters",
        {"name": "Payments", "type": "payment"},
        htmx=True,
        headers={"HX-Current-URL": "http://localhost/notifications?type=payment"},
    )
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().startswith('<aside id="tocsin-saved-filters"')
    row = stored(app, "Payments")
    link = re.search(rf'<a id="tocsin-saved-link-{row.id}"[^>]*>', text).group(0)
    assert "autofocus" in link and 'aria-current="page"' in link
    assert "Saved “Payments”." in text and '<details class="tocsin-saved-details" open>' in text


@pytest.mark.parametrize(
    "data, code, message",
    [
        ({"name": "  "}, 400, "give the filter a name"),
        ({"name": "x" * 81}, 400, "at most 80 characters"),
        ({"name": "Bad", "state": "maybe"}, 400, "state must be one of"),
        ({"name": "Bad", "type": "nope"}, 400, "type: unknown &#39;nope&#39;"),
        ({"name": "Bad", "since": "2026-13-01"}, 400, "since must be a date"),
        ({"name": "Dup"}, 409, "already have a filter named"),
    ],
)
def test_refusals_say_why_with_and_without_htmx(app, alice, data, code, message):
    alice.post("/notifications/filters", {"name": "Dup"})
    plain = alice.post("/notifications/filters", data)
    assert plain.status_code == code and message in plain.text
    htmx = alice.post("/notifications/filters", data, htmx=True)
    assert htmx.status_code == code and message in htmx.text
    assert SIDEBAR_RE.search(htmx.text) and 'role="alert"' in htmx.text
    # What was typed stays in the field, focused.
    typed = data["name"].strip()
    if typed:
        assert re.search(rf'id="tocsin-saved-name"[^>]*value="{typed}"[^>]*autofocus', htmx.text)
    assert names(app) == ["Dup"]


def test_rename_and_delete_as_plain_forms(app, client, alice):
    alice.post("/notifications/filters", {"name": "First", "q": "one"})
    row = stored(app, "First")
    response = alice.post(
        f"/notifications/filters/{row.id}/rename", {"name": " Renamed ", "next": "/notifications"}
    )
    assert response.status_code == 303 and response.location == "/notifications"
    assert names(app) == ["Renamed"] and stored(app, "Renamed").query == "q=one"
    response = alice.post(f"/notifications/filters/{row.id}/delete", {"next": "/notifications"})
    assert response.status_code == 303 and names(app) == []
    assert alice.post(f"/notifications/filters/{row.id}/delete").status_code == 404


def test_htmx_rename_and_delete_place_the_focus(app, alice):
    for name in ("A", "B", "C"):
        alice.post("/notifications/filters", {"name": name})
    a, b, c = (stored(app, n).id for n in "ABC")
    text = alice.post(f"/notifications/filters/{b}/rename", {"name": "Bee"}, htmx=True).text
    assert re.search(rf'id="tocsin-saved-link-{b}"[^>]*autofocus[^>]*>Bee<', text)
    refused = alice.post(f"/notifications/filters/{b}/rename", {"name": "c"}, htmx=True)
    assert refused.status_code == 409 and "already have a filter named" in refused.text
    # That filter's rename form stays open with what was typed, focused.
    assert re.search(rf'id="tocsin-saved-name-{b}"[^>]*value="c" autofocus', refused.text)
    text = alice.post(f"/notifications/filters/{b}/delete", {}, htmx=True).text
    assert f"tocsin-saved-filter-{b}" not in text and "Deleted “Bee”." in text
    assert re.search(rf'id="tocsin-saved-link-{c}"[^>]*autofocus', text)
    text = alice.post(f"/notifications/filters/{c}/delete", {}, htmx=True).text
    assert re.search(rf'id="tocsin-saved-link-{a}"[^>]*autofocus', text)
    text = alice.post(f"/notifications/filters/{a}/delete", {}, htmx=True).text
    assert re.search(r'id="tocsin-saved-name"[^>]*autofocus', text) and names(app) == []


def test_another_users_filter_is_a_404(app, client, auth):
    auth.login("bob")
    auth.post("/notifications/filters", {"name": "Bob's"})
    with app.app_context():
        (bobs,) = saved_filters.listing(db.session, user_id("bob"))
    client.post("/logout", data={"csrf_token": auth.csrf()})
    auth.login("alice")
    rename = auth.post(f"/notifications/filters/{bobs.id}/rename", {"name": "Mine"})
    assert rename.status_code == 404
    assert auth.post(f"/notifications/filters/{bobs.id}/delete", htmx=True).status_code == 404
    assert names(app, "bob") == ["Bob's"]
    assert "Bob&#39;s" not in client.get("/notifications").text


def test_every_post_needs_the_csrf_token(app, client, alice):
    alice.post("/notifications/filters", {"name": "Kept"})
    row = stored(app, "Kept")
    for path, data in (
        ("/notifications/filters", {"name": "New"}),
        (f"/notifications/filters/{row.id}/rename", {"name": "Changed"}),
        (f"/notifications/filters/{row.id}/delete", {}),
    ):
        assert client.post(path, data=data).status_code == 400
    assert names(app) == ["Kept"]


def test_logged_out_posts_are_refused(app, client):
    response = client.post("/notifications/filters", data={"name": "x"})
    assert response.status_code in (302, 400, 401)
