"""GET /metrics: Prometheus' text format, only for this host or the bearer token; values move."""

import pytest

from tests.metrics_support import samples, value
from tocsin import notify_many

TOKEN = "s3cret-scrape-token"


def test_localhost_gets_the_text_format(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    page = samples(response.text)  # parses: prometheus-client's own parser
    names = {name for name, _ in page}
    for name in (
        "tocsin_open_sockets",
        "tocsin_socket_messages_total",
        "tocsin_publishes_total",
        "tocsin_publish_seconds_bucket",
        "tocsin_broker_up",
        "tocsin_broker_reconnects_total",
        "tocsin_socket_closes_total",
        "tocsin_queue_depth",
        "tocsin_queue_up",
    ):
        assert name in names, name
    assert value(response.text, "tocsin_socket_closes_total", code="1013") is not None


def test_ipv6_localhost_is_let_in(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


@pytest.mark.parametrize("remote", ["10.0.0.7", "192.168.1.2", "2001:db8::1"])
def test_another_host_gets_a_404(client, remote):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == 404 and "tocsin_" not in response.text


def test_with_a_token_the_token_is_needed_from_anywhere(app, client):
    app.config["TOCSIN_METRICS_TOKEN"] = TOKEN
    remote = {"REMOTE_ADDR": "10.0.0.7"}
    right = client.get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, environ_base=remote
    )
    assert right.status_code == 200 and "tocsin_open_sockets" in right.text
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers, environ_base=remote)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"].lower().startswith("bearer")
        assert "tocsin_" not in refused.text
    # Set, the token is needed from this host too: a proxy here makes everyone local.
    assert client.get("/metrics").status_code == 401


def test_not_under_the_url_prefix_and_no_post(client):
    assert client.get("/notifications/metrics").status_code == 404
    assert client.post("/metrics").status_code == 405


def test_a_publish_moves_the_counters_and_the_histogram(client, notify):
    before = client.get("/metrics").text
    notify(title="counted")
    notify(title="counted too")
    after = client.get("/metrics").text
    for name, labels, grew in (
        ("tocsin_publishes_total", {"entry": "service"}, 2),
        ("tocsin_published_notifications_total", {}, 2),
        ("tocsin_publish_seconds_count", {}, 2),
    ):
        assert value(after, name, **labels) - value(before, name, **labels) == grew, name
    assert value(after, "tocsin_publish_seconds_sum") > value(before, "tocsin_publish_seconds_sum")
    # Every observation falls in some bucket: +Inf holds them all.
    inf = value(after, "tocsin_publish_seconds_bucket", le="+Inf")
    assert inf == value(after, "tocsin_publish_seconds_count")


def test_a_fan_out_is_one_publish_of_many_notifications(app, client):
    before = client.get("/metrics").text
    with app.app_context():
        notify_many(["alice", "bob"], "system", "Maintenance")
    after = client.get("/metrics").text
    grew = value(after, "tocsin_publishes_total", entry="python") - value(
        before, "tocsin_publishes_total", entry="python"
    )
    stored = value(after, "tocsin_published_notifications_total") - value(
        before, "tocsin_published_notifications_total"
    )
    assert (grew, stored) == (1, 2)
