"""/metrics of a real server while real sockets come and go; its JSON log lines; and two
gunicorn workers answering a scrape with the same sums."""

import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.integration.test_sse_stream import open_stream
from tests.metrics_support import value
from tests.support import GunicornServer, HttpSession, recv_until, server_env, wait_until

TITLE = "Pangolin-title-3e9b"


@pytest.fixture
def server_settings() -> dict:
    return {
        "TOCSIN_LOG_FORMAT": "json",
        "TOCSIN_MAX_SOCKETS_PER_USER": "1",
        "TOCSIN_SSE_HEARTBEAT": "1",  # a stream whose client went finds out within a second
    }


def scrape(session: HttpSession) -> str:
    status, body, _ = session.get("/metrics")
    assert status == 200, body
    return body


def test_sockets_pushes_and_close_codes_move(server, login, send):
    alice = login("alice")
    assert value(scrape(alice), "tocsin_open_sockets") == 0
    with alice.websocket() as ws:
        ws.recv(timeout=5)
        assert value(scrape(alice), "tocsin_open_sockets") == 1
        # Counted once the server's send returns, which may be after the client has it.
        wait_until(
            lambda: value(scrape(alice), "tocsin_socket_messages_total", kind="snapshot") >= 1,
            what="the snapshot counted",
        )
        nid = send(title=TITLE)
        recv_until(ws, lambda m: f'id="notification-{nid}"' in m[-1])
        wait_until(
            lambda: value(scrape(alice), "tocsin_socket_messages_total", kind="push") >= 1,
            what="the push counted",
        )
        # Over the cap of one: the first socket is closed with 1008.
        with alice.websocket() as second:
            second.recv(timeout=5)
            with pytest.raises(ConnectionClosed) as closed:
                recv_until(ws, lambda m: False)
            assert closed.value.rcvd.code == 1008
            wait_until(
                lambda: value(scrape(alice), "tocsin_socket_closes_total", code="1008") == 1,
                what="the 1008 counted",
            )
            assert value(scrape(alice), "tocsin_open_sockets") == 1
    wait_until(lambda: value(scrape(alice), "tocsin_open_sockets") == 0, what="all closed")
    assert value(scrape(alice), "tocsin_socket_closes_total", code="1000") == 1


def test_streams_their_events_and_why_they_ended_are_counted(server, login, send):
    alice = login("alice")
    assert value(scrape(alice), "tocsin_open_streams") == 0
    assert value(scrape(alice), "tocsin_stream_ends_total", reason="too_many") == 0
    with open_stream(alice) as first:
        first.next()
        assert value(scrape(alice), "tocsin_open_streams") == 1
        assert value(scrape(alice), "tocsin_stream_messages_total", kind="snapshot") == 1
        nid = send(title=TITLE)
        first.until(lambda e: e["id"] == nid)
        wait_until(
            lambda: value(scrape(alice), "tocsin_stream_messages_total", kind="push") == 1,
            what="the push counted",
        )
        # Over the cap of one: the first stream ends, as the first socket would.
        with open_stream(alice) as second:
            second.next()
            assert first.ended()
            wait_until(
                lambda: value(scrape(alice), "tocsin_stream_ends_total", reason="too_many") == 1,
                what="the end counted",
            )
            assert value(scrape(alice), "tocsin_open_streams") == 1
    # Gone from the client side: found at the next heartbeat's write.
    wait_until(lambda: value(scrape(alice), "tocsin_open_streams") == 0, what="all ended")
    assert value(scrape(alice), "tocsin_stream_ends_total", reason="client") == 1
    assert value(scrape(alice), "tocsin_open_sockets") == 0  # streams are not sockets


def test_the_server_logs_connect_and_disconnect_as_json_without_content(server, login, send):
    alice = login("alice")
    with alice.websocket() as ws:
        ws.recv(timeout=5)
        nid = send(title=TITLE, body="Tapir-body")
        recv_until(ws, lambda m: TITLE in m[-1] and f"notification-{nid}" in m[-1])

    def lines() -> list[dict]:
        text = server.log.read_text()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    ended = wait_until(
        lambda: [line for line in lines() if line["event"] == "disconnect"], what="disconnect"
    )
    [connect] = [line for line in lines() if line["event"] == "connect"]
    [disconnect] = ended
    assert connect["socket_id"] == disconnect["socket_id"] and connect["user_id"] > 0
    assert disconnect["code"] == 1000 and disconnect["duration_ms"] >= 0
    assert {"ts", "level", "logger"} <= set(connect)
    log = server.log.read_text()
    assert TITLE not in log and "Tapir-body" not in log


def test_two_gunicorn_workers_answer_with_the_same_sums(publisher, database_url, tmp_path):
    env = server_env(tmp_path, database_url)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the master makes its own
    server = GunicornServer(env, worker_class="gthread")
    server.env["TOCSIN_WORKERS"] = "2"
    server.start()
    try:
        alice = HttpSession(server.url).login("alice")
        with alice.websocket() as ws:
            ws.recv(timeout=5)
            # Keep-alive off (a new connection per scrape): either worker may answer.
            pages = [scrape(HttpSession(server.url)) for _ in range(6)]
        # Single-process values would say 0 from the worker without the socket.
        assert {value(page, "tocsin_open_sockets") for page in pages} == {1}
    finally:
        server.stop()
    assert "Metrics of all workers in" in server.log.read_text()
