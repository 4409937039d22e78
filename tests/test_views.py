import re

import pytest

from tests.conftest import user_id
from tests.support import badge_count, item_ids
from tocsin.extensions import db
from tocsin.notifications import queries


def unread(app, name="alice"):
    with app.app_context():
        return queries.unread_count(db.session, user_id(name))


def test_bell_shows_exact_count_hidden_at_zero(client, alice, notify):
    bell = client.get("/notifications/bell").text
    assert 'data-count="0"' in bell and re.search(r'id="notification-badge"[^>]* hidden', bell)
    assert 'aria-label="0 unread notifications"' in bell
    notify()
    bell = client.get("/notifications/bell").text
    assert 'data-count="1"' in bell and 'aria-label="1 unread notification"' in bell
    assert 'id="notification-bell"' in bell and 'ws-connect="/notifications/ws?since=' in bell


def test_badge_shows_99_plus_with_exact_count(app, client, alice):
    from tocsin.models import UnreadCounter

    with app.app_context():
        # merge: the counter row appears with a user's first notification.
        db.session.merge(UnreadCounter(user_id=user_id("alice"), unread=1234))
        db.session.commit()
    bell = client.get("/notifications/bell").text
    assert 'data-count="1234"' in bell and ">99+</span>" in bell
    assert 'aria-label="1234 unread notifications"' in bell


def test_panel_lists_newest_first_with_load_more(app, client, alice, notify):
    app.config["TOCSIN_PAGE_SIZE"] = 2
    ids = [notify(title=f"n{i}") for i in range(3)]
    notify("bob", title="bob's secret")
    panel = client.get("/notifications/panel").text
    assert item_ids(panel) == [ids[2], ids[1]]
    assert "bob's secret" not in panel
    assert f'value="{ids[2]}"' in panel  # mark-all covers exactly what is shown
    assert f"/notifications/panel?before={ids[1]}" in panel
    more = client.get(f"/notifications/panel?before={ids[1]}").text
    assert item_ids(more) == [ids[0]]
    assert 'id="notification-load-more"' in more and "before=" not in more


def test_item_shows_time_and_unread_state(client, alice, notify):
    nid = notify(body="Body text")
    panel = client.get("/notifications/panel").text
    assert re.search(rf'id="notification-{nid}" class="tocsin-item is-unread"', panel)
    time_re = r'<time class="tocsin-item-time" datetime="\d{4}-\d\d-\d\dT[^"]+\+00:00"'
    assert re.search(time_re, panel)
    assert "just now" in panel and "Body text" in panel


@pytest.mark.parametrize("bad", ["abc", "-1", "1e3", "9" * 30])
def test_bad_before_is_a_400(client, alice, bad):
    response = client.get(f"/notifications/panel?before={bad}")
    assert response.status_code == 400 and "before" in response.text


def test_titles_are_escaped(client, alice, notify):
    notify(title="<img src=x onerror=alert(1)>", body="<script>alert(2)</script>")
    panel = client.get("/notifications/panel").text
    assert "<img src=x" not in panel and "<script>alert" not in panel
    assert "&lt;img src=x onerror=alert(1)&gt;" in panel


def test_htmx_read_returns_item_and_badge_out_of_band(app, alice, notify):
    nid = notify()
    response = alice.post(f"/notifications/{nid}/read", htmx=True)
    assert response.status_code == 200
    assert re.search(rf'<li id="notification-{nid}" class="tocsin-item"', response.text)
    assert 'hx-swap-oob="true"' in response.text and badge_count(response.text) == 0
    assert unread(app) == 0


def test_htmx_read_with_follow_redirects_to_the_link(alice, notify):
    nid = notify(url="/somewhere?x=1")
    response = alice.post(f"/notifications/{nid}/read", {"follow": "1"}, htmx=True)
    assert response.headers["HX-Redirect"] == "/somewhere?x=1"


def test_plain_form_read_redirects_back_with_303(app, alice, notify):
    nid = notify(url="https://example.com/order/1")
    response = alice.post(
        f"/notifications/{nid}/read", headers={"Referer": "http://localhost/notifications?before=9"}
    )
    assert response.status_code == 303 and response.location == "/notifications?before=9"
    nid = notify(url="https://example.com/order/2")
    response = alice.post(f"/notifications/{nid}/read", {"follow": "1"})
    assert response.status_code == 303 and response.location == "https://example.com/order/2"
    assert unread(app) == 0


def test_plain_form_read_never_redirects_off_site(alice, notify):
    nid = notify()
    response = alice.post(
        f"/notifications/{nid}/read",
        {"next": "//evil.example"},
        headers={"Referer": "https://evil.example/x"},
    )
    assert response.status_code == 303 and response.location == "/notifications"


def test_another_users_notification_is_a_404(app, alice, notify):
    bobs = notify("bob")
    assert alice.post(f"/notifications/{bobs}/read", htmx=True).status_code == 404
    assert alice.post("/notifications/999999/read").status_code == 404
    assert unread(app, "bob") == 1


def test_state_changes_need_csrf(app, client, alice, notify):
    nid = notify()
    assert client.post(f"/notifications/{nid}/read").status_code == 400
    assert client.post("/notifications/read-all", data={"up_to": nid}).status_code == 400
    assert unread(app) == 1
    # htmx sends the token in a header instead of the form.
    response = client.post(
        f"/notifications/{nid}/read", headers={"X-CSRFToken": alice.csrf(), "HX-Request": "true"}
    )
    assert response.status_code == 200 and unread(app) == 0


def test_read_all_marks_only_up_to_the_shown_id(app, alice, notify):
    shown = [notify(title=f"n{i}") for i in range(3)]
    late = notify(title="arrived later")
    response = alice.post("/notifications/read-all", {"up_to": shown[-1]}, htmx=True)
    assert response.status_code == 200 and badge_count(response.text) == 1
    assert set(item_ids(response.text)) == set(shown)
    assert unread(app) == 1
    with app.app_context():
        assert queries.get(db.session, user_id("alice"), late).read_at is None


@pytest.mark.parametrize("bad", [{}, {"up_to": ""}, {"up_to": "x"}, {"up_to": "-3"}])
def test_read_all_needs_a_valid_up_to(alice, bad):
    response = alice.post("/notifications/read-all", bad)
    assert response.status_code == 400 and "up_to" in response.text


def test_read_all_without_js_redirects_back(app, alice, notify):
    nid = notify()
    response = alice.post("/notifications/read-all", {"up_to": nid})
    assert response.status_code == 303 and response.location == "/notifications"
    assert unread(app) == 0


def test_inbox_works_as_plain_html(app, client, alice, notify):
    app.config["TOCSIN_PAGE_SIZE"] = 2
    ids = [notify(title=f"n{i}") for i in range(3)]
    page = client.get("/notifications").text
    assert item_ids(page) == [ids[2], ids[1]]
    assert f'action="/notifications/{ids[2]}/read"' in page and 'method="post"' in page
    assert f'href="/notifications?before={ids[1]}"' in page
    older = client.get(f"/notifications?before={ids[1]}").text
    assert item_ids(older) == [ids[0]] and 'id="notification-older"' in older


def test_ids_beyond_the_integer_range_are_misses_not_errors(alice, client):
    # PostgreSQL refuses parameters past INTEGER; these must never reach a query.
    huge = str(2**31)
    assert alice.post(f"/notifications/{huge}/read").status_code == 404
    assert client.get(f"/notifications/panel?before={huge}").status_code == 400
    assert alice.post("/notifications/read-all", {"up_to": huge}).status_code == 400
    assert client.get(f"/notifications/panel?before={2**31 - 1}").status_code == 200


def seen(app, ids) -> dict:
    from tocsin.models import Notification

    with app.app_context():
        return {nid: db.session.get(Notification, nid).seen_at for nid in ids}


def test_listing_rows_stamps_nothing_seen(app, client, alice, notify):
    # Seen means a second on screen (tocsin-seen.js posts it: test_seen_views.py).
    ids = [notify(title=f"n{i}") for i in range(3)]
    client.get("/notifications/panel")
    client.get("/notifications")
    assert set(seen(app, ids).values()) == {None}
