"""Two server processes on two ports share PostgreSQL and Redis: each sees the other's changes."""

import pytest

from tests.support import (
    ClientModel,
    HttpSession,
    LiveServer,
    flask_cli,
    recv_until,
    server_env,
)


@pytest.fixture(autouse=True)
def use_redis(redis_url, channel_prefix, monkeypatch):
    monkeypatch.setenv("TOCSIN_REDIS_URL", redis_url)
    monkeypatch.setenv("TOCSIN_REDIS_CHANNEL_PREFIX", channel_prefix)


@pytest.fixture
def second_server(publisher, database_url, tmp_path, server):
    srv = LiveServer(server_env(tmp_path, database_url)).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_tab_on_a_sees_what_happens_on_b(server, second_server):
    on_a = HttpSession(server.url).login("alice")
    on_b = HttpSession(second_server.url).login("alice")
    bob_on_a = HttpSession(server.url).login("bob")
    with on_a.websocket() as ws_a, on_b.websocket() as ws_b, bob_on_a.websocket() as ws_bob:
        a, b, bob = ClientModel(), ClientModel(), ClientModel()
        for ws, model in ((ws_a, a), (ws_b, b), (ws_bob, bob)):
            model.read(ws, lambda m: m.badge == 0)

        # Published by another process (the CLI) with Redis as the only way across.
        result = flask_cli(
            second_server.env,
            "tocsin",
            "send",
            "--to",
            "alice",
            "--type",
            "message",
            "--title",
            "across processes",
        )
        assert result.returncode == 0, result.stderr
        nid = int(result.stdout)
        a.read(ws_a, lambda m: m.ids == [nid] and m.badge == 1)
        b.read(ws_b, lambda m: m.ids == [nid] and m.badge == 1)

        # A read handled by process B updates the tab connected to process A.
        status, _, _ = on_b.post(f"/notifications/{nid}/read", headers={"HX-Request": "true"})
        assert status == 200
        a.read(ws_a, lambda m: m.badge == 0)
        assert a.duplicates == [] and b.duplicates == []
        with pytest.raises(TimeoutError):
            ws_bob.recv(timeout=0.5)  # bob, on the same process as alice, saw none of it


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_logout_on_b_closes_that_sessions_socket_on_a(server, second_server):
    session = HttpSession(server.url).login("alice")
    # The same login (cookie) used against process B, as a load balancer would.
    on_b = HttpSession(second_server.url)
    on_b.jar, on_b.opener, on_b.csrf = session.jar, session.opener, session.csrf
    with session.websocket() as ws_a:
        ClientModel().read(ws_a, lambda m: m.badge == 0)
        status, _, headers = on_b.post("/logout")
        assert status == 303 and headers["Location"].endswith("/login")
        recv_until(ws_a, lambda msgs: "Signed out" in msgs[-1])
