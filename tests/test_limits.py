"""Rate limits: failed logins per name and per client (429 + Retry-After), API calls per token."""

from datetime import UTC, datetime, timedelta

import pytest

from app import create_app, users
from tests.conftest import AuthActions
from tocsin.api import tokens
from tocsin.extensions import db

START = datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def test_failed_logins_per_name_get_429_then_even_the_right_password(client, auth, clock):
    for _ in range(5):  # the default: 5 a minute
        assert auth.login(password="wrong-password").status_code == 401
    response = auth.login(password="wrong-password")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 61  # the window, rounded up
    assert 'role="alert"' in response.text and "Try again in" in response.text
    assert auth.login().status_code == 429  # the right password waits too
    clock.shift(timedelta(seconds=int(response.headers["Retry-After"]) + 1))
    assert auth.login().status_code == 303


def test_the_hourly_limit_holds_across_minutes(client, auth, clock):
    for minute in range(4):
        for _ in range(5):
            assert auth.login(password="wrong-password").status_code == 401, minute
        clock.shift(timedelta(minutes=1))
    response = auth.login()
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 60
    assert "minutes." in response.text


def test_successful_logins_do_not_count(client, auth):
    for _ in range(12):
        assert auth.login().status_code == 303


def test_a_name_limit_does_not_lock_other_names(client, auth):
    for _ in range(6):
        auth.login(password="wrong-password")
    assert auth.login().status_code == 429
    assert auth.login("bob").status_code == 303


def test_one_client_trying_many_names_is_limited(app, client, auth):
    for i in range(20):  # the default per client: 20 failures a minute
        assert auth.login(f"nobody{i}", "wrong-password").status_code == 401
    response = auth.login("bob")
    assert response.status_code == 429 and "Retry-After" in response.headers
    other = AuthActions(app.test_client())  # another address is not affected
    other.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.login("bob").status_code == 303


def test_behind_a_trusted_proxy_the_forwarded_address_counts(app, client, auth):
    # A forged hop, then the address nginx saw and appended.
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.5, 198.51.100.1"
    for i in range(20):
        assert auth.login(f"nobody{i}", "wrong-password").status_code == 401
    assert auth.login("bob").status_code == 429
    other = AuthActions(app.test_client())  # another client behind the same proxy
    other.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.5, 198.51.100.2"
    assert other.login("bob").status_code == 303
    untrusted = AuthActions(app.test_client())  # not from the proxy: the header is ignored
    untrusted.client.environ_base.update(
        REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert untrusted.login("bob").status_code == 303


@pytest.fixture
def app_with(database_url, tmp_path, monkeypatch):
    """Make an app with alice and these settings."""
    made = []

    def make(**settings):
        monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
        base = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test"}
        app = create_app({**base, **settings})
        with app.app_context():
            db.drop_all()
            db.create_all()
            users.create(db.session, "alice", "tocsin")
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_login_limits_are_settings(app_with):
    auth = AuthActions(app_with(TOCSIN_LOGIN_RATE_LIMIT="2/minute").test_client())
    assert [auth.login(password="x").status_code for _ in range(3)] == [401, 401, 429]
    auth = AuthActions(app_with(TOCSIN_LOGIN_RATE_LIMIT="").test_client())
    assert {auth.login(password="x").status_code for _ in range(8)} == {401}


def test_api_requests_per_token_get_429_json_with_retry_after(app_with, clock):
    app = app_with(TOCSIN_API_RATE_LIMIT="3/minute")
    with app.app_context():
        _, first = tokens.create(db.session, "first")
        _, second = tokens.create(db.session, "second")
    client = app.test_client()

    def get(token):
        headers = {"Authorization": f"Bearer {token}"}
        return client.get("/api/v1/notifications?user=alice", headers=headers)

    assert (
        client.post(
            "/api/v1/notifications",
            json={"recipients": ["alice"], "type": "comment", "title": "Hi"},
            headers={"Authorization": f"Bearer {first}"},
        ).status_code
        == 201
    )
    assert [get(first).status_code for _ in range(2)] == [200, 200]
    response = get(first)  # publish and list share one limit per token
    assert response.status_code == 429
    assert response.json["error"] == "too many requests for this token: at most 3/minute"
    assert 0 < int(response.headers["Retry-After"]) <= 61
    assert get(second).status_code == 200  # another token has its own
    assert client.get("/api/openapi.json").status_code == 200  # the document is free
    clock.shift(timedelta(seconds=int(response.headers["Retry-After"]) + 1))
    assert get(first).status_code == 200


def test_api_default_limit_is_600_a_minute(app, api):
    statuses = [api.get("/api/v1/notifications?user=alice").status_code for _ in range(601)]
    assert statuses[:600] == [200] * 600 and statuses[600] == 429


def test_openapi_documents_429_on_every_route(client):
    paths = client.get("/api/openapi.json").json["paths"]
    operations = [op for path in paths.values() for op in path.values()]
    assert len(operations) == 3
    for op in operations:
        too_many = op["responses"]["429"]
        assert "Retry-After" in too_many["headers"]
        assert too_many["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_unknown_name_does_the_same_hash_work(ctx, monkeypatch):
    checked = []
    real = users.check_password_hash

    def counting(pwhash, password):
        checked.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(users, "check_password_hash", counting)
    assert users.authenticate(db.session, "nobody", "tocsin") is None
    assert users.authenticate(db.session, "alice", "wrong") is None
    assert len(checked) == 2
    assert checked[0] == checked[1]  # same method and cost parameters (scrypt:32768:8:1)
