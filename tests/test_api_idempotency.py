"""Idempotency-Key: the same key and body answer the same; nothing is created twice."""

import json
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import ApiClient
from tocsin.api import idempotency, tokens
from tocsin.extensions import db
from tocsin.models import IdempotencyKey, Notification, utcnow

URL = "/api/v1/notifications"
KEY = {"Idempotency-Key": "order-42-shipped"}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_same_key_and_body_replay_the_first_answer(app, api):
    first = api.publish(headers=KEY, title="Shipped")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    # The same JSON, spelled differently: key order and spacing do not matter.
    raw = json.dumps({"title": "Shipped", "type": "comment", "recipients": ["alice"]}, indent=2)
    again = api.client.post(
        URL, data=raw, headers=api.headers({**KEY, "Content-Type": "application/json"})
    )
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, Notification) == 1 and count(app, IdempotencyKey) == 1


def test_the_same_key_with_another_body_is_refused(app, api):
    assert api.publish(headers=KEY, title="Shipped").status_code == 201
    response = api.publish(headers=KEY, title="Delivered")
    assert response.status_code == 422
    assert response.json["field"] == "Idempotency-Key"
    assert count(app, Notification) == 1


def test_keys_belong_to_one_token(app, api, client):
    with app.app_context():
        _, other = tokens.create(db.session, "other-service")
    assert api.publish(headers=KEY).status_code == 201
    response = ApiClient(client, other).publish(headers=KEY)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert count(app, Notification) == 2


def test_a_request_that_created_nothing_leaves_the_key_free(app, api):
    assert api.publish(headers=KEY, recipients=["zed"]).status_code == 422
    assert api.publish(headers=KEY, title="x" * 201).status_code == 422
    assert count(app, IdempotencyKey) == 0
    assert api.publish(headers=KEY).status_code == 201


def test_keys_are_kept_for_the_ttl_then_forgotten(app, api):
    ttl = app.config["TOCSIN_IDEMPOTENCY_TTL"]
    assert ttl >= 24 * 3600
    first = api.publish(headers=KEY).json

    def age_keys(seconds: int) -> None:
        with app.app_context():
            db.session.execute(
                sa.update(IdempotencyKey).values(created_at=utcnow() - timedelta(seconds=seconds))
            )
            db.session.commit()

    age_keys(ttl - 60)
    assert api.publish(headers=KEY).json == first
    age_keys(ttl + 60)
    second = api.publish(headers=KEY)
    assert second.status_code == 201 and second.json != first
    assert count(app, Notification) == 2 and count(app, IdempotencyKey) == 1


def test_purge_deletes_only_expired_keys(app, api):
    for key in ("a", "b"):
        api.publish(headers={"Idempotency-Key": key})
    with app.app_context():
        db.session.execute(
            sa.update(IdempotencyKey)
            .where(IdempotencyKey.key == "a")
            .values(created_at=utcnow() - timedelta(days=2))
        )
        db.session.commit()
        assert idempotency.purge_expired(db.session, 24 * 3600) == 1
        assert db.session.scalars(sa.select(IdempotencyKey.key)).all() == ["b"]


def test_malformed_keys_are_refused(app, api):
    for key in ("x" * 256, " padded", "tab\there", "é"):
        response = api.client.post(
            URL, json={}, headers=api.headers({"Idempotency-Key": key.encode().decode("latin-1")})
        )
        assert response.status_code == 422 and response.json["field"] == "Idempotency-Key"
    assert api.publish(headers={"Idempotency-Key": "x" * 255}).status_code == 201
