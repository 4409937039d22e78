"""The stream's route through the test client: its guards, a database outage once the
stream has started, and the visibility post."""

import sqlalchemy as sa
from prometheus_client import REGISTRY

from tocsin import state
from tocsin.live import push


def test_without_a_login_the_stream_is_refused(client):
    assert client.get("/notifications/stream").status_code == 403


def test_a_foreign_origin_is_refused(alice):
    response = alice.client.get("/notifications/stream", headers={"Origin": "http://evil.example"})
    assert response.status_code == 403


def test_malformed_arguments_are_400s(alice):
    for query in ("since=x", "last_event_id=-1", "tab=no", "tab=" + "a" * 41):
        assert alice.client.get(f"/notifications/stream?{query}").status_code == 400, query


def test_a_database_outage_after_the_headers_ends_the_stream_with_a_longer_retry(
    app, alice, monkeypatch
):
    def down(*args, **kwargs):
        raise sa.exc.TimeoutError("QueuePool limit reached")

    monkeypatch.setattr(push, "snapshot", down)
    # No listener or sweeper thread outliving the test's database.
    monkeypatch.setattr(state.of(app).broker, "ensure_listening", lambda: None)
    monkeypatch.setattr(state.of(app), "sweeper", None)
    ends = {"reason": "unavailable"}
    before = REGISTRY.get_sample_value("tocsin_stream_ends_total", ends) or 0
    response = alice.client.get("/notifications/stream")
    assert response.status_code == 200  # the headers went out before the snapshot's read
    body = response.get_data(as_text=True)
    retries = [line for line in body.splitlines() if line.startswith("retry:")]
    assert len(retries) == 2 and int(retries[1].split()[1]) > int(retries[0].split()[1])
    assert "data:" not in body
    assert state.of(app).registry.count() == 0  # unregistered in the finally
    assert REGISTRY.get_sample_value("tocsin_stream_ends_total", ends) == before + 1


def test_visibility_needs_csrf_a_tab_and_a_state(app, alice, monkeypatch):
    published = []
    broker = state.of(app).broker
    monkeypatch.setattr(broker, "publish", lambda uid, event: published.append(event))
    url = "/notifications/stream/visibility"
    assert alice.client.post(url, data={"tab": "tab-01234567", "visible": "1"}).status_code == 400
    assert alice.post(url, {"tab": "tab-01234567", "visible": "maybe"}).status_code == 400
    assert alice.post(url, {"tab": "tab-01234567", "visible": "0"}).status_code == 204
    assert published == [{"kind": "visibility", "tab": "tab-01234567", "visible": False}]
