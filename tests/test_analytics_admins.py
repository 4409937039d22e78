"""Who may open the analytics: `tocsin user create NAME --admin`, `tocsin user list`, and
the demo's alice (an admin) and bob (not one)."""

from app import users
from tests.conftest import user_id
from tocsin import state
from tocsin.extensions import db


def test_user_create_admin_and_user_list(app, runner, client, auth):
    result = runner.invoke(
        args=["tocsin", "user", "create", "dora", "--admin"], input="long-enough\n"
    )
    assert result.exit_code == 0 and "Created admin dora" in result.output
    result = runner.invoke(args=["tocsin", "user", "create", "eve"], input="long-enough\n")
    assert result.exit_code == 0 and "Created user eve" in result.output
    listed = runner.invoke(args=["tocsin", "user", "list"]).output.splitlines()
    assert [line.split("\t")[1:] for line in listed if "\tdora" in line or "\teve" in line] == [
        ["dora", "admin"],
        ["eve"],
    ]
    with app.app_context():
        directory = state.of(app).directory
        assert directory.is_admin(db.session, user_id("dora"))
        assert not directory.is_admin(db.session, user_id("eve"))
    auth.login("dora", "long-enough")
    assert client.get("/notifications/analytics").status_code == 200


def test_init_demo_makes_alice_an_admin_and_not_bob(app, runner):
    result = runner.invoke(args=["tocsin", "init", "--demo"])
    assert result.exit_code == 0 and "alice an admin" in result.output
    with app.app_context():
        # The fixture made them before: init flags alice (she still has the demo password).
        assert users.by_username(db.session, "alice").admin
        assert not users.by_username(db.session, "bob").admin
