"""The HTTP API: bearer tokens, validation limits, JSON errors, listing and marking read."""

import hashlib
import json

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin import state
from tocsin.api import openapi, schemas, tokens
from tocsin.extensions import db
from tocsin.live.connection import Connection
from tocsin.models import ApiToken, Notification
from tocsin.notifications import queries
from tocsin.notifications import service as notifications
from tocsin.notifications.types import NotificationType, catalog

URL = "/api/v1/notifications"


def rows(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Notification))


# --- authentication ---------------------------------------------------------------------


def test_publish_with_a_token_creates_and_pushes(app, api):
    registry = state.of(app).registry
    with app.app_context():
        conns = [Connection(user_id(name), 10) for name in ("alice", "bob")]
    for conn in conns:
        registry.add(conn)
    response = api.publish(
        recipients=["alice", "bob", "alice"],
        type="system",
        title="Hi",
        body="There",
        url="/x",
        priority="high",
        data={"k": [1, 2]},
        actor="ci",
        group_key="deploy",
    )
    assert response.status_code == 201, response.json
    ids = response.json["ids"]
    assert response.json["recipients"] == 2 and len(ids) == 2
    for conn, nid in zip(conns, ids, strict=True):
        # High priority: the toast sounds (the recipients have sound on by default).
        assert conn.wait(0) == [{"kind": "created", "ids": [nid], "sound": True}]
    with app.app_context():
        n = db.session.get(Notification, ids[0])
        assert (n.type, n.title, n.body, n.url, n.priority, n.data, n.actor, n.group_key) == (
            "system",
            "Hi",
            "There",
            "/x",
            "high",
            {"k": [1, 2]},
            "ci",
            "deploy",
        )
        assert queries.unread_count(db.session, user_id("bob")) == 1


def test_the_apps_own_types_are_accepted_and_documented(app, api, client):
    with app.app_context():
        catalog().add(NotificationType("invoice", "order", "Invoice", "high"))
    response = api.publish(type="invoice", title="Invoice 7 is due")
    assert response.status_code == 201, response.json
    with app.app_context():
        assert db.session.get(Notification, response.json["ids"][0]).priority == "high"
    doc = client.get("/api/openapi.json").json
    assert (
        "invoice" in doc["components"]["schemas"]["NewNotification"]["properties"]["type"]["enum"]
    )


def test_a_publish_takes_ids_and_the_types_default_priority(app, api):
    response = api.publish(recipients=[2], type="security")
    assert response.status_code == 201
    with app.app_context():
        n = db.session.get(Notification, response.json["ids"][0])
        assert (n.user_id, n.priority) == (user_id("bob"), "urgent")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic YWxpY2U6dG9jc2lu",
        "bearer tocsin_short",
        "Bearer tocsin_" + "A" * 43,
        "Bearer tocsin_" + "A" * 43 + " extra",
        "Token x",
    ],
)
def test_missing_malformed_and_unknown_tokens_get_the_same_401(app, client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    body = {"recipients": ["alice"], "type": "comment", "title": "Hi"}
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 401
    assert response.json == {"error": "a valid bearer token is required", "field": None}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tocsin"'
    assert client.get(URL + "?user=alice", headers=headers).status_code == 401
    assert client.post(URL + "/1/read?user=alice", headers=headers).status_code == 401
    assert rows(app) == 0


def test_a_revoked_token_gets_the_same_401(app, api):
    assert api.publish().status_code == 201
    with app.app_context():
        tokens.revoke(db.session, "tests")
    response = api.publish()
    assert response.status_code == 401
    assert response.json == {"error": "a valid bearer token is required", "field": None}


def test_the_token_is_stored_only_as_its_hash_and_its_use_is_recorded(app, api):
    with app.app_context():
        (token,) = db.session.scalars(sa.select(ApiToken)).all()
        assert token.last_used_at is None
        assert token.token_hash == hashlib.sha256(api.token.encode()).hexdigest()
        assert api.token.startswith(token.prefix) and len(token.prefix) < 16
        stored = json.dumps(
            [str(v) for v in db.session.execute(sa.select(ApiToken.__table__)).one()]
        )
        assert api.token not in stored
    api.publish()
    with app.app_context():
        assert db.session.scalars(sa.select(ApiToken)).one().last_used_at is not None


def test_a_login_session_is_no_api_credential(app, client, auth):
    """Cookies are what CSRF protects; the API takes only the bearer token."""
    auth.login("alice")
    body = {"recipients": ["alice"], "type": "comment", "title": "Hi"}
    response = client.post(URL, json=body)
    assert response.status_code == 401
    assert client.get(URL + "?user=alice").status_code == 401
    assert rows(app) == 0


def test_the_api_needs_no_csrf_token_and_sets_no_cookie(api):
    response = api.publish()
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers


# --- validation -------------------------------------------------------------------------


def assert_invalid(response, field: str, status: int = 422) -> dict:
    assert response.status_code == status, response.json
    assert response.json["field"] == field, response.json
    assert response.json["error"]
    return response.json


def test_each_limit_holds_at_its_value_and_fails_one_over(app, api):
    at = {
        "title": "t" * schemas.TITLE_MAX,
        "body": "b" * schemas.BODY_MAX,
        "url": "/" + "u" * (schemas.URL_MAX - 1),
        "actor": "a" * 120,
        "group_key": "g" * 200,
    }
    assert api.publish(**at).status_code == 201
    for field, value in at.items():
        assert_invalid(api.publish(**{field: value + "x"}), field)
    # data: 8 KiB as compact JSON, {"k":"..."} being 8 bytes more than the string.
    fits = {"k": "d" * (schemas.DATA_MAX - 8)}
    assert api.publish(data=fits).status_code == 201
    body = assert_invalid(api.publish(data={"k": fits["k"] + "d"}), "data")
    assert "8192 bytes" in body["error"]
    assert rows(app) == 2


def test_ten_thousand_recipients_pass_validation_and_one_more_does_not(app, api):
    many = list(range(1, schemas.RECIPIENTS_MAX + 1))
    body = assert_invalid(api.publish(recipients=many), "recipients")
    # Only alice (1) and bob (2) exist: the size was fine, the others are unknown.
    assert body["unknown"] == many[2:]
    body = assert_invalid(api.publish(recipients=many + [schemas.RECIPIENTS_MAX + 1]), "recipients")
    assert "at most 10000" in body["error"] and "unknown" not in body
    assert rows(app) == 0


def test_a_body_over_64_kib_gets_413(app, api):
    def padded(size: int) -> bytes:
        raw = json.dumps({"recipients": ["alice"], "type": "comment", "title": "Hi"})
        return raw.encode() + b" " * (size - len(raw))

    limit = app.config["TOCSIN_API_MAX_BODY"]
    assert limit == 64 * 1024
    headers = api.headers({"Content-Type": "application/json"})
    ok = api.client.post(URL, data=padded(limit), headers=headers)
    assert ok.status_code == 201
    too_big = api.client.post(URL, data=padded(limit + 1), headers=headers)
    assert too_big.status_code == 413
    assert too_big.json == {"error": "the request body must be at most 65536 bytes", "field": None}
    assert rows(app) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"title": 5}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"body": ["x"]}, "body"),
        ({"recipients": []}, "recipients"),
        ({"recipients": "alice"}, "recipients"),
        ({"recipients": [True]}, "recipients"),
        ({"recipients": [1.0]}, "recipients"),
        ({"recipients": [0]}, "recipients"),
        ({"recipients": [2**31]}, "recipients"),
        ({"recipients": [""]}, "recipients"),
        ({"type": "unheard_of"}, "type"),
        ({"type": None}, "type"),
        ({"priority": "extreme"}, "priority"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://"}, "url"),
        ({"data": [1, 2]}, "data"),
    ],
)
def test_bad_fields_get_422_naming_the_field(app, api, fields, field):
    assert_invalid(api.publish(**fields), field)
    assert rows(app) == 0


def test_data_numbers_must_be_finite(app, api):
    raw = b'{"recipients": ["alice"], "type": "comment", "title": "x", "data": {"x": 1e400}}'
    headers = api.headers({"Content-Type": "application/json"})
    assert_invalid(api.client.post(URL, data=raw, headers=headers), "data")
    assert rows(app) == 0


def test_every_problem_is_listed_with_its_place(api):
    body = assert_invalid(api.publish(recipients=["alice", 2.5], title=7), "recipients")
    assert body["errors"] == [
        {"field": "recipients.1", "message": "Input should be a valid integer or a valid string"},
        {"field": "title", "message": "Input should be a valid string"},
    ]


def test_unknown_recipients_are_all_listed_and_nothing_is_written(app, api):
    body = assert_invalid(api.publish(recipients=["alice", "zed", 99, "bob", "ann"]), "recipients")
    assert body["unknown"] == ["zed", 99, "ann"]
    assert rows(app) == 0


def test_malformed_json_is_400_and_other_media_types_415(app, api):
    headers = api.headers({"Content-Type": "application/json"})
    for raw in (b"{", b'{"title": "\\ud800"}', b"[" * 1000 + b"]" * 1000, b"NaN", b"\xff"):
        response = api.client.post(URL, data=raw, headers=headers)
        assert response.status_code == 400, raw
        assert response.json["error"].startswith("malformed JSON")
    assert_invalid(api.client.post(URL, data=b"[]", headers=headers), None)
    response = api.client.post(URL, data={"title": "x"}, headers=api.headers())
    assert response.status_code == 415 and "application/json" in response.json["error"]
    assert rows(app) == 0


# --- JSON errors ------------------------------------------------------------------------


def test_flask_errors_under_api_are_json(client, api):
    response = client.get("/api/v2/nothing")
    assert response.status_code == 404 and response.is_json
    response = api.client.put(URL, headers=api.headers())
    assert response.status_code == 405 and response.is_json
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    response = api.client.post(URL + "/0/read?user=alice", headers=api.headers())
    assert response.status_code == 404 and response.is_json
    # Elsewhere the app's own (HTML) errors stand.
    response = client.get("/no/such/page")
    assert response.status_code == 404 and not response.is_json


# --- reading and marking read -----------------------------------------------------------


def test_list_a_users_notifications_by_name_or_id(app, api):
    mine = [api.publish(title=f"n{i}").json["ids"][0] for i in range(3)]
    api.publish(recipients=["bob"], title="not alice's")
    page = api.get(URL + "?user=alice&limit=2")
    assert page.status_code == 200
    assert [n["id"] for n in page.json["items"]] == mine[:0:-1]
    assert page.json["next_before"] == mine[1] and page.json["unread"] == 3
    item = page.json["items"][0]
    assert item["user_id"] == 1 and item["title"] == "n2" and item["read_at"] is None
    assert (item["action_taken"], item["outcome"], item["acted_at"]) == (None, None, None)
    rest = api.get(URL + f"?user=id:1&limit=2&before={mine[1]}").json
    assert [n["id"] for n in rest["items"]] == [mine[0]] and rest["next_before"] is None


def test_a_listed_item_shows_the_action_taken(app, api):
    (nid,) = api.publish(type="friend_request", title="Bob wants to be friends").json["ids"]
    with app.app_context():
        notifications.resolve_action(db.session, user_id("alice"), nid, "accept")
    (item,) = api.get(URL + "?user=alice").json["items"]
    assert (item["action_taken"], item["outcome"]) == ("accept", "Accepted")
    assert item["acted_at"] is not None and item["read_at"] is not None


def test_list_needs_a_known_user(api):
    assert_invalid(api.get(URL), "user")
    assert_invalid(api.get(URL + "?user=alice&limit=0"), "limit")
    assert_invalid(api.get(URL + "?user=alice&limit=101"), "limit")
    assert_invalid(api.get(URL + "?user=alice&before=x"), "before")
    assert_invalid(api.get(URL + "?user=alice&colour=red"), "colour")
    assert_invalid(api.get(URL + "?user=zed"), "user", status=404)
    assert_invalid(api.get(URL + "?user=99"), "user", status=404)


def test_mark_read_is_scoped_to_the_named_user(app, api):
    (nid,) = api.publish().json["ids"]
    assert api.post(f"{URL}/{nid}/read?user=bob").status_code == 404
    assert_invalid(api.post(f"{URL}/{nid}/read"), "user")
    response = api.post(f"{URL}/{nid}/read?user=alice")
    assert response.status_code == 200
    assert response.json["id"] == nid and response.json["read_at"] is not None
    with app.app_context():
        assert queries.unread_count(db.session, user_id("alice")) == 0
    assert api.post(f"{URL}/{nid}/read?user=alice").status_code == 200  # again: no change
    assert api.post(f"{URL}/{nid + 1}/read?user=alice").status_code == 404


# --- the OpenAPI document ---------------------------------------------------------------


def test_the_openapi_document_is_public_and_built_from_the_models(app, client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {URL, URL + "/{id}/read"}
    new = doc["components"]["schemas"]["NewNotification"]
    # The model's own schema, plus the app's notification types.
    with app.app_context():
        assert new["properties"]["type"].pop("enum") == list(catalog())
    model = schemas.NewNotification.model_json_schema(ref_template=openapi.REF)
    assert model.pop("$defs") == {"JsonValue": doc["components"]["schemas"]["JsonValue"]}
    assert new == model
    assert new["additionalProperties"] is False
    assert new["properties"]["recipients"]["maxItems"] == 10_000
    assert new["properties"]["title"]["maxLength"] == 200
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
