"""Ended logins on a real server: a copied cookie gets 403 on the socket, open sockets close."""

import pytest
from websockets.exceptions import InvalidStatus

from tests.support import ClientModel, HttpSession, recv_until

IDLE = 2  # seconds, for the idle test only


def copy_of(session: HttpSession) -> HttpSession:
    """Another client holding the same cookies, as a thief or a second device would."""
    twin = HttpSession(session.base)
    for cookie in session.jar:
        twin.jar.set_cookie(cookie)
    twin.csrf = session.csrf
    return twin


def signed_out(ws, timeout: float = 10.0) -> str:
    return recv_until(ws, lambda msgs: "Signed out" in msgs[-1], timeout=timeout)[-1]


def test_copied_cookie_after_logout_gets_no_socket_and_no_page(login):
    alice = login("alice")
    thief = copy_of(alice)
    with thief.websocket() as ws:
        ClientModel().read(ws, lambda m: m.badge == 0)
        status, _, _ = alice.post("/logout")
        assert status == 303
        assert "ws-connect" not in signed_out(ws)  # the open socket closes too
    with pytest.raises(InvalidStatus) as refused, thief.websocket():
        pass
    assert refused.value.response.status_code == 403
    status, _, headers = thief.get("/notifications")
    assert status == 302 and "/login" in headers["Location"]


def test_logout_others_closes_the_other_logins_sockets_live(login):
    phone, laptop = login("alice"), login("alice")
    with phone.websocket() as phone_ws, laptop.websocket() as laptop_ws:
        for ws in (phone_ws, laptop_ws):
            ClientModel().read(ws, lambda m: m.badge == 0)
        status, _, headers = laptop.post("/logout/others")
        assert status == 303 and headers["Location"] == "/"
        assert "ws-connect" not in signed_out(phone_ws)
        laptop_ws.ping().wait(5)  # the laptop's own socket is still open
    with pytest.raises(InvalidStatus) as refused, phone.websocket():
        pass
    assert refused.value.response.status_code == 403
    with laptop.websocket() as ws:
        ClientModel().read(ws, lambda m: m.badge == 0)


class TestIdle:
    @pytest.fixture
    def server_settings(self):
        return {"TOCSIN_SESSION_IDLE": str(IDLE)}

    def test_idle_login_closes_its_socket(self, login):
        alice = login("alice")
        with alice.websocket() as ws:
            ClientModel().read(ws, lambda m: m.badge == 0)
            signed_out(ws, timeout=IDLE + 8)  # an open socket alone is not activity
        with pytest.raises(InvalidStatus) as refused, alice.websocket():
            pass
        assert refused.value.response.status_code == 403
