"""Ten identical publish requests at once, with one Idempotency-Key: one row, one push."""

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from tests.support import item_ids, recv_until
from tocsin.api import tokens
from tocsin.extensions import db
from tocsin.models import BrokerEvent, IdempotencyKey, Notification

REQUESTS = 10


def post(url: str, token: str, body: dict, key: str | None = None) -> tuple[int, dict, dict]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), dict(err.headers)


def test_concurrent_duplicates_create_one_row_and_push_once(publisher, server, login):
    with publisher.app_context():
        _, token = tokens.create(db.session, "shop")
    url = server.url + "/api/v1/notifications"
    body = {"recipients": ["alice"], "type": "order", "title": "Order 42 shipped"}
    start = threading.Barrier(REQUESTS)

    def duplicate(_):
        start.wait(timeout=10)  # all ten leave together
        return post(url, token, body, key="order-42-shipped")

    with login("alice").websocket() as ws:
        ws.recv(timeout=5)  # the snapshot
        with ThreadPoolExecutor(REQUESTS) as pool:
            answers = list(pool.map(duplicate, range(REQUESTS)))
        assert [status for status, _, _ in answers] == [201] * REQUESTS
        assert len({json.dumps(answer) for _, answer, _ in answers}) == 1
        replayed = [h.get("Idempotent-Replayed") == "true" for _, _, h in answers]
        assert replayed.count(False) == 1  # one request created, nine replayed its answer
        (nid,) = answers[0][1]["ids"]
        # A later notification: the socket's events arrive in order, so once it is here,
        # every push the ten requests caused is here too.
        status, later, _ = post(url, token, {**body, "title": "Later"})
        assert status == 201
        messages = recv_until(ws, lambda msgs: later["ids"][0] in item_ids(msgs[-1]))
    pushed = [i for message in messages for i in item_ids(message)]
    assert pushed.count(nid) == 1
    with publisher.app_context():
        titles = db.session.scalars(sa.select(Notification.title).order_by(Notification.id))
        assert list(titles) == ["Order 42 shipped", "Later"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 1
        events = db.session.scalars(sa.select(BrokerEvent.payload)).all()
        assert [e for e in events if e.get("ids") == [nid]] == [{"kind": "created", "ids": [nid]}]
