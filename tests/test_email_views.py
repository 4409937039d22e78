"""One-click unsubscribe without a login, and the user's email address (page and CLI)."""

import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import user_id
from tocsin import state
from tocsin.channels import unsubscribe
from tocsin.extensions import db
from tocsin.notifications import preferences
from tocsin.notifications.types import catalog


def token_for(app, type_name: str) -> str:
    with app.app_context():
        return unsubscribe.token(user_id("alice"), type_name)


def email_prefs(app):
    with app.app_context():
        return preferences.load(db.session, user_id("alice"))


def test_one_click_post_mutes_the_type_without_a_session(app):
    app.config["WTF_CSRF_ENABLED"] = True
    token = token_for(app, "payment")
    fresh = app.test_client()  # no cookies, no CSRF token: the token is the credential
    page = fresh.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200 and "Stop emails about payment?" in page.text
    assert email_prefs(app).wants(catalog().get("payment"), "email")
    done = fresh.post(f"/notifications/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "no more emails about payment" in done.text
    prefs = email_prefs(app)
    assert not prefs.wants(catalog().get("payment"), "email")
    assert prefs.wants(catalog().get("payment"), "toast")  # only email is turned off


def test_the_digest_link_turns_the_digest_off(app, client):
    with app.app_context():
        row = preferences.row_for_update(db.session, user_id("alice"))
        row.digest = "daily"
        db.session.commit()
    token = token_for(app, unsubscribe.DIGEST)
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 200
    assert email_prefs(app).digest == "off"


def test_a_critical_type_cannot_be_unsubscribed(app, client):
    token = token_for(app, "security")
    answer = client.post(f"/notifications/unsubscribe/{token}")
    assert answer.status_code == 200 and "cannot be turned off" in answer.text
    assert email_prefs(app).channels == {}


@pytest.mark.parametrize("how", ["forged", "altered", "other salt", "expired"])
def test_a_bad_token_is_refused(app, client, how):
    good = token_for(app, "payment")
    with app.app_context():
        bad = {
            "forged": "WzEsInBheW1lbnQiXQ.Zz1234.abcdefabcdefabcdefabcdefabc",
            "altered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
            "other salt": URLSafeTimedSerializer("test", salt="other").dumps(
                [user_id("alice"), "payment"]
            ),
            "expired": good,
        }[how]
    if how == "expired":
        app.config["TOCSIN_UNSUBSCRIBE_MAX_AGE"] = -1
    answer = client.post(f"/notifications/unsubscribe/{bad}")
    assert answer.status_code == 400 and "not valid" in answer.text
    assert email_prefs(app).channels == {}


def test_user_create_takes_an_email(app, runner):
    result = runner.invoke(
        args=["tocsin", "user", "create", "carol", "--email", "carol@example.com"],
        input="long enough\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        directory = state.of(app).directory
        assert directory.emails(db.session, [user_id("carol")]) == {
            user_id("carol"): "carol@example.com"
        }


def test_user_create_refuses_a_bad_email(app, runner):
    result = runner.invoke(
        args=["tocsin", "user", "create", "carol", "--email", "not an address"],
        input="long enough\n",
    )
    assert result.exit_code == 2 and "not an email address" in result.output


def test_the_preferences_page_saves_the_address(app, client, alice):
    page = client.get("/notifications/preferences").text
    assert 'id="notification-email"' in page and 'name="email" value=""' in page
    saved = alice.post("/notifications/preferences/email", {"email": " alice@example.com "})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(
        "/notifications/preferences?email=saved#notification-email"
    )
    page = client.get("/notifications/preferences?email=saved").text
    assert 'value="alice@example.com"' in page and "Email address saved" in page
    with app.app_context():
        assert state.of(app).directory.emails(db.session, [user_id("alice")])


def test_a_bad_address_is_a_400_with_the_form(app, client, alice):
    answer = alice.post("/notifications/preferences/email", {"email": "alice@"})
    assert answer.status_code == 400
    assert re.search(r'role="alert">.*not an email address', answer.text)
    assert 'aria-invalid="true"' in answer.text


def test_the_address_form_needs_a_login_and_csrf(app, client, alice):
    app.config["WTF_CSRF_ENABLED"] = True
    answer = client.post("/notifications/preferences/email", data={"email": "a@example.com"})
    assert answer.status_code == 400  # no CSRF token
    app.config["WTF_CSRF_ENABLED"] = False
    anonymous = app.test_client().post("/notifications/preferences/email", data={})
    assert anonymous.status_code in (302, 401)
