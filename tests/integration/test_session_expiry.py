"""A login that expires closes its open sockets, and a new socket is then refused."""

import json

import pytest
from websockets.exceptions import InvalidStatus

from tests.support import ClientModel, recv_until, wait_until

LIFETIME = 2  # seconds


@pytest.fixture
def server_settings():
    return {"TOCSIN_SESSION_LIFETIME": str(LIFETIME)}


def test_expired_login_closes_its_socket(login):
    alice = login("alice")
    with alice.websocket() as ws:
        ClientModel().read(ws, lambda m: m.badge == 0)
        signed_out = recv_until(ws, lambda msgs: "Signed out" in msgs[-1], timeout=LIFETIME + 5)
        assert "ws-connect" not in signed_out[-1]
    wait_until(
        lambda: json.loads(alice.get("/healthz")[1])["connections"] == 0,
        what="the server dropped the socket",
    )
    with pytest.raises(InvalidStatus) as refused, alice.websocket():
        pass
    assert refused.value.response.status_code == 403
