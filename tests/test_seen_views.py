"""POST /notifications/seen: CSRF, login, bounds, strict ids, the user's rows only, idempotent,
rate-limited; the badge in TOCSIN_BADGE_COUNTS=unseen mode."""

import pytest

from app import create_app
from tests.conftest import user_id
from tests.support import CSRF_RE
from tocsin.config import InvalidSetting
from tocsin.extensions import db
from tocsin.models import Notification
from tocsin.notifications import queries

SCRIPTED = {"X-Tocsin-Seen": "1"}


def seen(app, *ids):
    with app.app_context():
        return [db.session.get(Notification, nid).seen_at is not None for nid in ids]


def unseen(app, name="alice"):
    with app.app_context():
        uid = user_id(name)
        count = queries.badge_count(db.session, uid, "unseen")
        assert count == queries.count_unseen_rows(db.session, uid)
        return count


def test_a_batch_is_stamped_once_and_answers_204(app, alice, notify):
    ids = [notify(title=f"n{i}") for i in range(3)]
    response = alice.post("/notifications/seen", {"ids": ids[:2]}, headers=SCRIPTED)
    assert response.status_code == 204
    assert seen(app, *ids) == [True, True, False] and unseen(app) == 1
    # Again, and as one comma-separated field: nothing changes, still 204.
    again = alice.post("/notifications/seen", {"ids": f"{ids[0]},{ids[1]}"}, headers=SCRIPTED)
    assert again.status_code == 204 and unseen(app) == 1


def test_a_plain_form_gets_a_303_back(app, alice, notify):
    nid = notify()
    response = alice.post("/notifications/seen", {"ids": nid, "next": "/notifications"})
    assert response.status_code == 303 and response.headers["Location"] == "/notifications"
    assert seen(app, nid) == [True]


def test_another_users_rows_are_ignored_like_missing_ones(app, alice, notify):
    bobs = notify("bob")
    mine = notify()
    # The same answer whether the id is bob's, gone or never was: nothing leaks.
    for ids in ([bobs], [999_999], [bobs, mine]):
        assert alice.post("/notifications/seen", {"ids": ids}, headers=SCRIPTED).status_code == 204
    assert seen(app, bobs, mine) == [False, True] and unseen(app, "bob") == 1


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], b"ids is missing"),
        ([""], b"ids is missing"),
        (["1x"], b"ids must be integers"),
        (["-1"], b"ids must be integers"),
        (["\u0661"], b"ids must be integers"),  # a digit, but not ASCII
        ([str(2**31)], b"ids must be integers"),
        ([str(i) for i in range(1, 202)], b"at most 200"),
        ([",".join(str(i) for i in range(1, 202))], b"at most 200"),
    ],
)
def test_bad_ids_are_a_400_with_a_message(alice, ids, message):
    response = alice.post("/notifications/seen", {"ids": ids}, headers=SCRIPTED)
    assert response.status_code == 400 and message in response.data


def test_two_hundred_ids_are_fine(app, alice, notify):
    nid = notify()
    ids = [nid, *range(nid + 1, nid + 200)]
    assert alice.post("/notifications/seen", {"ids": ids}, headers=SCRIPTED).status_code == 204
    assert seen(app, nid) == [True]


def test_it_needs_csrf_and_a_login(app, client, auth, notify):
    nid = notify()
    token = CSRF_RE.search(client.get("/login").text).group(1)
    logged_out = client.post("/notifications/seen", data={"ids": nid, "csrf_token": token})
    assert logged_out.status_code in (302, 401)
    auth.login()
    assert client.post("/notifications/seen", data={"ids": nid}).status_code == 400
    assert seen(app, nid) == [False]
    headers = {"X-CSRFToken": auth.csrf(), **SCRIPTED}
    assert client.post("/notifications/seen", data={"ids": nid}, headers=headers).status_code == 204


@pytest.fixture
def seen_limit(monkeypatch):
    monkeypatch.setenv("TOCSIN_SEEN_RATE_LIMIT", "3/minute")


def test_batches_are_rate_limited_per_user(seen_limit, app, alice, notify):
    nid = notify()
    codes = [
        alice.post("/notifications/seen", {"ids": nid}, headers=SCRIPTED).status_code
        for _ in range(4)
    ]
    assert codes == [204, 204, 204, 429]


def test_the_badge_counts_unseen_rows_in_that_mode(app, client, alice, notify):
    ids = [notify(title=f"n{i}") for i in range(3)]
    page = client.get("/").text
    assert 'data-count="3" data-counts="unread"' in page
    app.config["TOCSIN_BADGE_COUNTS"] = "unseen"
    alice.post("/notifications/seen", {"ids": ids[:2]}, headers=SCRIPTED)
    page = client.get("/").text
    assert (
        'data-count="1" data-counts="unseen"' in page and 'aria-label="1 new notification"' in page
    )
    # An htmx answer that re-renders the badge counts the same way.
    response = alice.post(f"/notifications/{ids[2]}/read", htmx=True)
    assert 'data-count="0" data-counts="unseen"' in response.text


def test_a_bad_setting_stops_the_app_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(InvalidSetting, match="TOCSIN_BADGE_COUNTS='unsen'"):
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "SECRET_KEY": "test",
                "TOCSIN_BADGE_COUNTS": "unsen",
            }
        )
