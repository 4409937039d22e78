import pytest

from tests.conftest import user_id
from tocsin.extensions import db
from tocsin.notifications import queries


def test_send_prints_the_new_id(app, runner):
    result = runner.invoke(
        args=[
            "tocsin",
            "send",
            "--to",
            "alice",
            "--type",
            "comment",
            "--title",
            "Hi",
            "--body",
            "there",
            "--url",
            "/x",
            "--priority",
            "urgent",
        ]
    )
    assert result.exit_code == 0, result.output
    nid = int(result.output.strip())
    with app.app_context():
        n = queries.get(db.session, user_id("alice"), nid)
        assert (n.title, n.body, n.url, n.priority) == ("Hi", "there", "/x", "urgent")


def test_send_errors_exit_2_with_a_message(app, runner):
    base = ["tocsin", "send", "--type", "comment", "--title", "Hi"]
    cases = [
        (["--to", "nobody"], "unknown 'nobody'"),
        (["--to", "alice", "--to", "nobody"], "unknown 'nobody'"),
        (["--to", "alice", "--all"], "not both"),
        ([], "--to USER (one or more) or --all"),
        (["--to", "alice", "--url", "javascript:alert(1)"], "scheme 'javascript' is not allowed"),
        (["--to", "alice", "--priority", "extreme"], "--priority"),
        (["--to", "alice", "--title", "x" * 201], "at most 200"),
    ]
    for extra, message in cases:
        result = runner.invoke(args=base + extra)
        assert result.exit_code == 2 and message in result.output, result.output
    result = runner.invoke(args=["tocsin", "send", "--to", "alice", "--type", "x", "--title", "y"])
    assert result.exit_code == 2 and "--type" in result.output
    with app.app_context():
        assert queries.unread_count(db.session, user_id("alice")) == 0


def test_user_create_reads_password_from_stdin(app, runner, client):
    result = runner.invoke(args=["tocsin", "user", "create", "carol"], input="s3cret-pw\n")
    assert result.exit_code == 0 and "Created user carol" in result.output
    result = runner.invoke(args=["tocsin", "user", "create", "carol"], input="s3cret-pw\n")
    assert result.exit_code == 2 and "taken" in result.output
    result = runner.invoke(args=["tocsin", "user", "create", "bad name"], input="s3cret-pw\n")
    assert result.exit_code == 2 and "username" in result.output


def test_init_demo_is_repeatable(runner):
    for _ in range(2):
        result = runner.invoke(args=["tocsin", "init", "--demo"])
        assert result.exit_code == 0 and "alice" in result.output


def test_send_to_several_and_to_all(app, runner):
    result = runner.invoke(
        args=[
            "tocsin",
            "send",
            "--to",
            "alice",
            "--to",
            "id:2",
            "--to",
            "alice",
            "--type",
            "system",
            "--title",
            "Maintenance",
        ]
    )
    assert result.exit_code == 0, result.output
    assert len(result.output.split()) == 2  # alice once, bob (id 2) once
    result = runner.invoke(args=["tocsin", "send", "--all", "--type", "system", "--title", "All"])
    assert result.exit_code == 0 and len(result.output.split()) == 2
    with app.app_context():
        assert queries.unread_count(db.session, user_id("alice")) == 2
        assert queries.unread_count(db.session, user_id("bob")) == 2


def test_user_list(runner):
    result = runner.invoke(args=["tocsin", "user", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines() == ["1\talice", "2\tbob"]


def test_send_accepts_a_type_the_app_registered(app, runner):
    from tocsin.notifications.types import NotificationType, catalog

    catalog(app).add(NotificationType("invoice", "payment", "Invoice", "high"))
    result = runner.invoke(
        args=[
            "tocsin",
            "send",
            "--to",
            "alice",
            "--type",
            "invoice",
            "--title",
            "Invoice 42 is due",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        n = queries.get(db.session, user_id("alice"), int(result.output))
        assert (n.type, n.priority) == ("invoice", "high")


def test_send_takes_data_actor_and_group(app, runner):
    result = runner.invoke(
        args=[
            "tocsin",
            "send",
            "--to",
            "alice",
            "--type",
            "order",
            "--title",
            "Shipped",
            "--data",
            '{"order_id": "A-1"}',
            "--actor",
            "shop",
            "--group",
            "order:A-1",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        n = queries.get(db.session, user_id("alice"), int(result.output))
        assert (n.data, n.actor, n.group_key) == ({"order_id": "A-1"}, "shop", "order:A-1")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--data", "{nope"], "Invalid value for --data: not JSON"),
        (["--data", "[1, 2]"], "Invalid value for --data: must be a JSON object"),
        (["--data", '{"x": NaN}'], "Invalid value for --data: numbers must be finite"),
        (["--actor", "a" * 121], "Invalid value for --actor: "),
        (["--group", "g" * 201], "Invalid value for --group: "),
    ],
)
def test_send_refuses_bad_data_actor_and_group(app, runner, extra, message):
    base = ["tocsin", "send", "--to", "alice", "--type", "comment", "--title", "Hi"]
    result = runner.invoke(args=base + extra)
    assert result.exit_code == 2 and message in result.output, result.output
    with app.app_context():
        assert queries.unread_count(db.session, user_id("alice")) == 0
