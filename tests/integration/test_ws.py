"""A real WebSocket client against a real server process on a free port."""

import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support import badge_count, flask_cli, item_ids, recv_until


def has_item(nid):
    return lambda msgs: f'id="notification-{nid}"' in msgs[-1]


def test_snapshot_on_connect_has_badge_and_first_page(send, login):
    ids = [send(title=f"n{i}") for i in range(3)]
    send("bob", title="not alice's")
    with login("alice").websocket() as ws:
        snapshot = ws.recv(timeout=5)
    assert badge_count(snapshot) == 3
    assert item_ids(snapshot) == ids[::-1]
    assert "not alice's" not in snapshot
    assert f'id="notification-up-to" name="up_to" value="{ids[-1]}"' in snapshot


def test_publish_pushes_item_toast_and_badge(send, login):
    with login("alice").websocket() as ws:
        ws.recv(timeout=5)
        nid = send(title="<b>bold</b>", priority="high")
        message = recv_until(ws, has_item(nid))[-1]
    assert 'hx-swap-oob="afterbegin"' in message and f'id="toast-{nid}"' in message
    assert 'data-timeout="10000"' in message and badge_count(message) == 1
    assert "&lt;b&gt;bold&lt;/b&gt;" in message and "<b>bold" not in message


def test_low_priority_updates_badge_without_toast(send, login):
    with login("alice").websocket() as ws:
        ws.recv(timeout=5)
        nid = send(priority="low")
        message = recv_until(ws, has_item(nid))[-1]
    assert 'id="toast-' not in message and badge_count(message) == 1


def test_cli_publish_from_another_process_arrives(server, login):
    with login("alice").websocket() as ws:
        ws.recv(timeout=5)
        result = flask_cli(
            server.env,
            "tocsin",
            "send",
            "--to",
            "alice",
            "--type",
            "mention",
            "--title",
            "From cron",
        )
        assert result.returncode == 0, result.stderr
        nid = int(result.stdout)
        message = recv_until(ws, has_item(nid))[-1]
    assert "From cron" in message and badge_count(message) == 1


def test_read_reaches_the_users_other_tab_and_not_other_users(send, login):
    alice, bob = login("alice"), login("bob")
    nid = send()
    with alice.websocket() as tab1, alice.websocket() as tab2, bob.websocket() as bobs:
        for ws in (tab1, tab2, bobs):
            ws.recv(timeout=5)
        status, body, _ = alice.post(f"/notifications/{nid}/read", headers={"HX-Request": "true"})
        assert status == 200 and badge_count(body) == 0
        message = recv_until(tab2, lambda m: badge_count(m[-1]) == 0)[-1]
        assert f'<li id="notification-{nid}" class="tocsin-item"' in message
        recv_until(tab1, lambda m: badge_count(m[-1]) == 0)
        send("bob", title="for bob")  # bob's socket does get bob's own events ...
        assert "for bob" in recv_until(bobs, lambda m: "for bob" in m[-1])[-1]
        with pytest.raises(TimeoutError):  # ... and nothing else
            print(bobs.recv(timeout=0.5))


def test_duplicates_are_not_pushed_twice(send, login, publisher):
    from tocsin import broker

    with login("alice").websocket() as ws:
        ws.recv(timeout=5)
        nid = send()
        recv_until(ws, has_item(nid))
        with publisher.app_context():  # the same event delivered again
            broker.publish(1, {"kind": "created", "ids": [nid]})
        message = recv_until(ws, lambda m: badge_count(m[-1]) is not None)[-1]
    assert f'id="notification-{nid}"' not in message and badge_count(message) == 1


def test_evil_origin_is_refused(login, server):
    with (
        pytest.raises(InvalidStatus) as err,
        login("alice").websocket(origin="https://evil.example"),
    ):
        pass
    assert err.value.response.status_code == 403


def test_no_session_is_refused(server):
    from tests.support import HttpSession

    with pytest.raises(InvalidStatus) as err, HttpSession(server.url).websocket():
        pass
    assert err.value.response.status_code == 403


def test_reconnect_after_restart_gets_exactly_what_was_missed(server, send, login):
    alice = login("alice")
    before = send(title="before")
    with alice.websocket() as ws:
        ws.recv(timeout=5)
        server.stop()
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=5)
    missed = [send(title=f"while down {i}") for i in range(3)]
    server.start()
    with alice.websocket() as ws:
        snapshot = ws.recv(timeout=5)
    assert item_ids(snapshot) == [*missed[::-1], before]
    assert badge_count(snapshot) == 4


def test_logout_closes_that_sessions_socket_only(login, send):
    phone, laptop = login("alice"), login("alice")
    with phone.websocket() as ws_phone, laptop.websocket() as ws_laptop:
        ws_phone.recv(timeout=5)
        ws_laptop.recv(timeout=5)
        phone.post("/logout")
        signed_out = recv_until(ws_phone, lambda m: "Signed out" in m[-1])[-1]
        assert 'id="notification-bell"' in signed_out and "ws-connect" not in signed_out
        nid = send()
        recv_until(ws_laptop, has_item(nid))
        # The dev server writes a stray HTTP response after the close frame, which the
        # client library may choke on; what matters is that nothing more reaches it ...
        with pytest.raises((ConnectionClosed, TimeoutError)):
            ws_phone.recv(timeout=1)
        # ... and that the server dropped it while the laptop's socket lives on.
        _, health, _ = laptop.get("/healthz")
        assert json.loads(health)["connections"] == 1
