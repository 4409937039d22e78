"""Seen across tabs: with TOCSIN_BADGE_COUNTS=unseen, a seen batch posted from one tab
brings the new badge to every socket of the user, live, and to nobody else's."""

import pytest

from tests.support import badge_count, recv_until

pytestmark = pytest.mark.parametrize("server_settings", [{"TOCSIN_BADGE_COUNTS": "unseen"}])


def test_two_tabs_see_the_unseen_badge_drop_after_a_seen_post(send, login):
    alice, bob = login("alice"), login("bob")
    ids = [send(title=f"n{i}") for i in range(3)]
    send("bob")
    with alice.websocket() as tab1, alice.websocket() as tab2, bob.websocket() as bobs:
        for ws in (tab1, tab2):
            assert badge_count(ws.recv(timeout=5)) == 3
        assert badge_count(bobs.recv(timeout=5)) == 1
        status, _, _ = alice.post(
            "/notifications/seen", {"ids": f"{ids[0]},{ids[1]}"}, {"X-Tocsin-Seen": "1"}
        )
        assert status == 204
        for ws in (tab1, tab2):
            message = recv_until(ws, lambda m: badge_count(m[-1]) == 1)[-1]
            assert (
                'data-counts="unseen"' in message and 'aria-label="1 new notification"' in message
            )
        # A repeat stamps nothing, so nothing is pushed; bob's socket heard nothing at all.
        status, _, _ = alice.post("/notifications/seen", {"ids": ids[0]}, {"X-Tocsin-Seen": "1"})
        assert status == 204
        with pytest.raises(TimeoutError):
            print(bobs.recv(timeout=0.5))
