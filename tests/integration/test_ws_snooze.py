"""Snooze over real sockets: every tab of the user gets the banner, and while snoozed a
comment arrives without its toast (a real server process, a real WebSocket client)."""

import re

import pytest

from tests.support import badge_count, recv_until

BANNER_RE = re.compile(r'<div id="notification-snooze"[^>]*>')


def banner(message: str) -> str:
    match = BANNER_RE.search(message)
    return match.group(0) if match else ""


def test_snooze_reaches_every_tab_and_holds_the_toast(send, login):
    alice, bob = login("alice"), login("bob")
    with alice.websocket() as tab1, alice.websocket() as tab2, bob.websocket() as bobs:
        for ws in (tab1, tab2, bobs):
            assert banner(ws.recv(timeout=5)).endswith(" hidden>")  # the snapshot has it
        status, body, _ = alice.post("/notifications/snooze", {"minutes": "30"})
        assert status in (200, 303)
        for ws in (tab1, tab2):
            tag = banner(recv_until(ws, lambda m: 'id="notification-snooze"' in m[-1])[-1])
            assert 'hx-swap-oob="true"' in tag and "data-until=" in tag and "hidden" not in tag
        nid = send(title="while paused")
        message = recv_until(tab1, lambda m: f'id="notification-{nid}"' in m[-1])[-1]
        assert f'id="toast-{nid}"' not in message and badge_count(message) == 1
        with pytest.raises(TimeoutError):  # bob heard nothing of alice's snooze
            print(bobs.recv(timeout=0.5))
        with alice.websocket() as later:  # a tab (re)connecting now has it in its snapshot
            assert "data-until=" in banner(later.recv(timeout=5))
        alice.post("/notifications/snooze/clear")
        for ws in (tab1, tab2):
            tag = banner(recv_until(ws, lambda m: 'id="notification-snooze"' in m[-1])[-1])
            assert tag.endswith(" hidden>")
