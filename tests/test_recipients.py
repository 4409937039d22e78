"""One rule for who "2" is: integers are ids, strings are names, "id:<digits>" is an id.

Checked at every entry point (API body, API query, CLI, notify()) with a user whose name
is another user's id, so that reading the value the wrong way reaches the wrong person.
"""

import pytest

from app import users
from tests.conftest import user_id
from tocsin import InvalidNotification, notify, state
from tocsin.extensions import db
from tocsin.models import Preference
from tocsin.notifications import queries
from tocsin.notifications.preferences import COLUMNS
from tocsin.recipients import parse_ref

URL = "/api/v1/notifications"


@pytest.mark.parametrize(
    ("ref", "parsed"),
    [
        (2, 2),
        ("2", "2"),
        ("id:2", 2),
        ("id:", "id:"),
        ("id:x", "id:x"),
        ("id:-2", "id:-2"),
        ("id:２", "id:２"),
        ("id:" + "9" * 19, "id:" + "9" * 19),
        ("alice", "alice"),
    ],
)
def test_parse_ref(ref, parsed):
    assert parse_ref(ref) == parsed and type(parse_ref(ref)) is type(parsed)


@pytest.fixture
def ids(app) -> dict[str, int]:
    """alice, bob, and a user named after bob's id: "2" by name is not bob."""
    with app.app_context():
        bob = user_id("bob")
        named = users.create(db.session, str(bob), "tocsin-pw")
        return {"alice": user_id("alice"), "bob": bob, "named": named.id}


def unread(app, uid: int) -> int:
    with app.app_context():
        return queries.unread_count(db.session, uid)


def test_api_body_integers_are_ids_strings_are_names(app, api, ids):
    bob = ids["bob"]
    for recipients, who in (([bob], "bob"), ([str(bob)], "named"), ([f"id:{bob}"], "bob")):
        response = api.publish(recipients=recipients)
        assert response.status_code == 201, response.json
        with app.app_context():
            n = queries.get(db.session, ids[who], response.json["ids"][0])
        assert n is not None, (recipients, who)
    assert (unread(app, ids["bob"]), unread(app, ids["named"])) == (2, 1)


def test_api_body_unknown_id_form_is_listed_as_given(api, ids):
    response = api.publish(recipients=["id:99999", "id:x"])
    assert response.status_code == 422 and response.json["unknown"] == ["id:99999", "id:x"]


def test_api_query_digits_are_a_name_and_id_form_an_id(api, ids):
    bob = ids["bob"]
    (for_bob,) = api.publish(recipients=[bob], title="for bob").json["ids"]
    (for_named,) = api.publish(recipients=[str(bob)], title="for 2").json["ids"]
    by_name = api.get(URL + f"?user={bob}").json["items"]
    by_id = api.get(URL + f"?user=id:{bob}").json["items"]
    assert [n["id"] for n in by_name] == [for_named]
    assert [n["id"] for n in by_id] == [for_bob]
    assert api.post(f"{URL}/{for_bob}/read?user={bob}").status_code == 404
    assert api.post(f"{URL}/{for_bob}/read?user=id:{bob}").status_code == 200
    assert api.get(URL + "?user=id:99999").status_code == 404


def test_cli_to_digits_is_a_name_and_id_form_an_id(app, runner, ids):
    bob = ids["bob"]
    base = ["tocsin", "send", "--type", "comment", "--title", "Hi"]
    assert runner.invoke(args=[*base, "--to", str(bob)]).exit_code == 0
    assert (unread(app, ids["bob"]), unread(app, ids["named"])) == (0, 1)
    assert runner.invoke(args=[*base, "--to", f"id:{bob}"]).exit_code == 0
    assert (unread(app, ids["bob"]), unread(app, ids["named"])) == (1, 1)
    result = runner.invoke(args=[*base, "--to", "id:99999"])
    assert result.exit_code == 2 and "unknown 'id:99999'" in result.output, result.output


def test_notify_ints_are_ids_strings_are_names(app, ids):
    bob = ids["bob"]
    with app.app_context():
        assert notify(bob, "comment", "Hi").user_id == ids["bob"]
        assert notify(str(bob), "comment", "Hi").user_id == ids["named"]
        assert notify(f"id:{bob}", "comment", "Hi").user_id == ids["bob"]
        with pytest.raises(InvalidNotification, match="unknown 'id:99999'"):
            notify("id:99999", "comment", "Hi")


def test_openapi_states_the_rule(client):
    doc = client.get("/api/openapi.json").json
    recipients = doc["components"]["schemas"]["NewNotification"]["properties"]["recipients"]
    assert "id:<digits>" in recipients["description"]
    (user,) = [
        p for p in doc["paths"]["/api/v1/notifications"]["get"]["parameters"] if p["name"] == "user"
    ]
    assert "id:<digits>" in user["description"]


def test_resolve_joined_brings_each_users_row_of_another_table(app, ids):
    """Names and ids, duplicates and unknowns as `resolve` takes them, and each found
    user's row of the joined table (here preferences) when there is one."""
    with app.app_context():
        db.session.add(Preference(user_id=ids["bob"], timezone="Europe/Berlin", channels={}))
        db.session.commit()
        directory = state.current().directory
        refs = ["bob", ids["alice"], f"id:{ids['bob']}", "zed", 99999, str(ids["bob"])]
        found, unknown, rows = directory.resolve_joined(db.session, refs, COLUMNS)
        assert (found, unknown) == directory.resolve(db.session, refs)
        assert found == [ids["bob"], ids["alice"], ids["named"]]
        assert unknown == ["zed", 99999]
        assert list(rows) == [ids["bob"]]  # alice and "2" have no preferences row
        assert rows[ids["bob"]][:2] == (ids["bob"], "Europe/Berlin")
