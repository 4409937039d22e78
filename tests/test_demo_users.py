"""Demo users log in only in demo mode; a new user's password has at least 8 characters."""

import pytest
import sqlalchemy as sa

from app import users
from app.models import User
from tocsin.extensions import db
from tocsin.models import UnreadCounter


@pytest.fixture
def demo_users(app, runner):
    """alice and bob as `tocsin init --demo` makes them."""
    with app.app_context():
        db.session.execute(sa.delete(User))
        db.session.execute(sa.delete(UnreadCounter))
        db.session.commit()
    result = runner.invoke(args=["tocsin", "init", "--demo"])
    assert result.exit_code == 0, result.output
    assert "only while TOCSIN_DEMO=1" in result.output


def test_demo_users_are_refused_when_demo_mode_is_off(app, client, auth, demo_users):
    app.config["TOCSIN_DEMO"] = False
    response = auth.login("alice", "tocsin")
    assert response.status_code == 401 and "wrong password" in response.text
    assert client.get("/").status_code == 302


def test_demo_users_log_in_in_demo_mode(app, client, auth, demo_users):
    app.config["TOCSIN_DEMO"] = True
    assert auth.login("alice", "tocsin").status_code == 303
    assert "Welcome, alice" in client.get("/").text


def test_init_demo_flags_demo_users_made_before_the_flag(app, client, auth, runner):
    app.config["TOCSIN_DEMO"] = False
    assert auth.login("alice", "tocsin").status_code == 303  # made unflagged, as before
    result = runner.invoke(args=["tocsin", "init", "--demo"])
    assert result.exit_code == 0, result.output
    auth.post("/logout")
    assert auth.login("alice", "tocsin").status_code == 401
    with app.app_context():
        assert users.by_username(db.session, "alice").demo


def test_other_users_log_in_whatever_the_mode(app, auth, runner, demo_users):
    app.config["TOCSIN_DEMO"] = False
    result = runner.invoke(args=["tocsin", "user", "create", "carol"], input="long-enough\n")
    assert result.exit_code == 0, result.output
    assert auth.login("carol", "long-enough").status_code == 303


def test_a_new_users_password_has_at_least_8_characters(app, runner):
    result = runner.invoke(args=["tocsin", "user", "create", "carol"], input="seven77\n")
    assert result.exit_code == 2 and "at least 8 characters" in result.output
    with app.app_context():
        assert users.by_username(db.session, "carol") is None
    result = runner.invoke(args=["tocsin", "user", "create", "carol"], input="eight888\n")
    assert result.exit_code == 0, result.output
