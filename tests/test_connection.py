import threading

from tocsin.live.connection import (
    POLICY_VIOLATION,
    SERVICE_RESTART,
    TOO_MANY_SOCKETS,
    TRY_AGAIN_LATER,
    Connection,
)
from tocsin.live.registry import Registry


def test_overflow_marks_the_connection_for_1013_without_blocking():
    conn = Connection(1, maxsize=3)
    assert all(conn.offer({"n": i}) for i in range(3))
    assert conn.offer({"n": 3}) is False
    assert conn.close_code == TRY_AGAIN_LATER
    assert conn.wait(0) == []  # queued events are dropped: the client resyncs on reconnect


def test_wait_returns_everything_queued():
    conn = Connection(1, maxsize=10)
    conn.offer({"n": 1})
    conn.offer({"n": 2})
    assert conn.wait(0) == [{"n": 1}, {"n": 2}]
    assert conn.wait(0.01) == []


def test_wait_wakes_on_offer_from_another_thread():
    conn = Connection(1, maxsize=10)
    timer = threading.Timer(0.05, conn.offer, args=({"n": 1},))
    timer.start()
    assert conn.wait(5) == [{"n": 1}]
    timer.join()


def test_registry_dispatches_only_to_that_users_connections():
    registry = Registry()
    a1, a2, b = Connection(1, 5), Connection(1, 5), Connection(2, 5)
    for c in (a1, a2, b):
        registry.add(c)
    assert registry.dispatch(1, {"kind": "created", "ids": [7]}) == 2
    assert a1.wait(0) == a2.wait(0) == [{"kind": "created", "ids": [7]}]
    assert b.wait(0) == []
    registry.remove(a1)
    assert registry.dispatch(1, {"x": 1}) == 1 and registry.count() == 2


def test_a_stuck_connection_does_not_stop_the_others():
    registry = Registry()
    stuck, live = Connection(1, 2), Connection(1, 2)
    registry.add(stuck)
    registry.add(live)
    for i in range(5):
        registry.dispatch(1, {"n": i})
        assert live.wait(0) == [{"n": i}]
    assert stuck.close_code == TRY_AGAIN_LATER and live.close_code is None


def test_close_all_asks_every_connection_to_close():
    registry = Registry()
    conns = [Connection(i, 5) for i in range(3)]
    for c in conns:
        registry.add(c)
    registry.close_all(SERVICE_RESTART, wait=0)
    assert {c.close_code for c in conns} == {SERVICE_RESTART}


def test_a_socket_arriving_after_close_all_is_told_to_close_at_once():
    registry = Registry()
    early = Connection(1, maxsize=4)
    registry.add(early)
    registry.close_all(SERVICE_RESTART, wait=0)
    late = Connection(2, maxsize=4)
    registry.add(late)
    assert early.close_code == late.close_code == SERVICE_RESTART
    registry.remove(late)
    assert registry.count() == 1


def test_a_socket_past_the_users_cap_closes_the_oldest_open_one():
    registry = Registry(max_per_user=2)
    leaving = Connection(1, 5)
    registry.add(leaving)
    leaving.close(SERVICE_RESTART)  # already on its way out: it no longer counts
    oldest, middle, other = Connection(1, 5), Connection(1, 5), Connection(2, 5)
    for c in (oldest, middle, other):
        registry.add(c)
    assert oldest.close_code is None and middle.close_code is None
    newest = Connection(1, 5)
    registry.add(newest)
    assert oldest.close_code == POLICY_VIOLATION and oldest.close_reason == TOO_MANY_SOCKETS
    assert middle.close_code is None and newest.close_code is None
    assert other.close_code is None and leaving.close_code == SERVICE_RESTART
    registry.add(Connection(1, 5))
    assert middle.close_code == POLICY_VIOLATION and newest.close_code is None
