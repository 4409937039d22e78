"""The catch-up summary over real servers: two processes, two tabs, a restart, a late tab.

Alice's quiet hours are set around the real clock, so the servers (and their sweepers)
hold her toasts throughout. The end of quiet hours is the test process's sweep under a
clock moved past it (time-machine), never a sleep.
"""

import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app import users
from tests.conftest import postgres_url
from tests.support import ROOT, HttpSession, LiveServer, recv_until, server_env
from tocsin import notify
from tocsin.extensions import db
from tocsin.models import Preference
from tocsin.notifications import catchup

SUMMARY_RE = re.compile(r'id="toast-summary-(\d+)"[^>]*data-count="(\d+)"')
TZ = ZoneInfo("Europe/Berlin")


@pytest.fixture(
    params=[
        pytest.param(("postgresql", "redis"), marks=pytest.mark.postgres, id="postgresql-redis"),
        pytest.param(("sqlite", "database"), id="sqlite-database-broker"),
    ]
)
def setup(request):
    return request.param


@pytest.fixture
def database_url(setup, tmp_path):
    if setup[0] == "postgresql":
        return postgres_url()
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(autouse=True)
def broker_choice(setup, request, monkeypatch):
    """Redis for the PostgreSQL run; the embedded database broker for SQLite."""
    if setup[1] == "redis":
        monkeypatch.setenv("TOCSIN_REDIS_URL", request.getfixturevalue("redis_url"))
        monkeypatch.setenv("TOCSIN_REDIS_CHANNEL_PREFIX", request.getfixturevalue("channel_prefix"))
    else:
        monkeypatch.delenv("TOCSIN_REDIS_URL", raising=False)


@pytest.fixture
def second_server(publisher, database_url, tmp_path, server):
    srv = LiveServer(server_env(tmp_path, database_url)).start()
    yield srv
    srv.stop()


@pytest.fixture
def quiet_now(publisher) -> datetime:
    """Give alice quiet hours from two hours ago to two hours on; return their end."""
    now = datetime.now(UTC)
    local = now.astimezone(TZ)
    start, end = local - timedelta(hours=2), local + timedelta(hours=2)
    with publisher.app_context():
        alice = users.by_username(db.session, "alice").id
        db.session.add(
            Preference(
                user_id=alice,
                timezone="Europe/Berlin",
                quiet_start=start.strftime("%H:%M"),
                quiet_end=end.strftime("%H:%M"),
                channels={},
            )
        )
        db.session.commit()
    return end.replace(second=0, microsecond=0).astimezone(UTC)


def end_quiet_hours(publisher, at: datetime, sweepers: int = 1) -> list:
    """Run `sweepers` sweeps at once in the test process, on a clock past the end."""
    results, barrier = [], threading.Barrier(sweepers)

    def sweep():
        with publisher.app_context():
            try:
                barrier.wait()
                results.append(catchup.sweep(db.session))
            finally:
                db.session.remove()

    with time_machine.travel(at + timedelta(minutes=1)):
        threads = [threading.Thread(target=sweep) for _ in range(sweepers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return results


def summaries(messages: list[str]) -> list[tuple[int, int]]:
    return [(int(n), int(c)) for m in messages for n, c in SUMMARY_RE.findall(m)]


def toasts(messages: list[str]) -> list[str]:
    return [t for m in messages for t in re.findall(r'id="(toast-\d+)"', m)]


def upto(marker: str):
    """A recv_until predicate: the message that mentions `marker` has arrived."""
    return lambda messages: marker in messages[-1]


def test_two_tabs_on_two_processes_get_one_exact_summary_each(
    server, second_server, publisher, send, quiet_now
):
    on_a = HttpSession(server.url).login("alice")
    on_b = HttpSession(second_server.url).login("alice")
    bob = HttpSession(server.url).login("bob")
    with on_a.websocket() as tab_a, on_b.websocket() as tab_b, bob.websocket() as tab_bob:
        tabs = {"a": tab_a, "b": tab_b, "bob": tab_bob}
        seen: dict[str, list[str]] = {
            k: recv_until(ws, upto("notification-badge")) for k, ws in tabs.items()
        }
        ids = [send("alice", title=f"While asleep {i}") for i in range(7)]
        ids.append(send("alice", title="Read meanwhile"))
        for key in ("a", "b"):  # the items and badge arrive; no toast
            seen[key] += recv_until(tabs[key], upto(f'id="notification-{ids[-1]}"'))
        on_a.post(f"/notifications/{ids[-1]}/read", headers={"HX-Request": "true"})
        for key in ("a", "b"):
            seen[key] += recv_until(tabs[key], upto('data-count="7"'))

        # Two sweepers at once, as two processes' would be: one summary.
        results = end_quiet_hours(publisher, quiet_now, sweepers=2)
        assert sorted(sum(r.summaries.values()) for r in results) == [0, 7]
        for key in ("a", "b"):
            seen[key] += recv_until(tabs[key], upto("toast-summary-"))
        # A sentinel published after the summary: once it is in, anything else is too.
        sentinel = send("alice", title="Sentinel")
        bob_sentinel = send("bob", title="Bob's sentinel")
        for key in ("a", "b"):
            seen[key] += recv_until(tabs[key], upto(f'id="notification-{sentinel}"'))
        seen["bob"] += recv_until(tab_bob, upto(f'id="notification-{bob_sentinel}"'))

    for key in ("a", "b"):
        assert summaries(seen[key]) == [(ids[-2], 7)]
        assert "While quiet hours were on: 7 notifications" in "".join(seen[key])
        assert toasts(seen[key]) == []  # every one of them was held, the sentinel too
    assert summaries(seen["bob"]) == []


def test_a_restart_in_the_middle_and_a_tab_opened_later(server, publisher, send, quiet_now):
    tab = HttpSession(server.url).login("alice")
    with tab.websocket() as ws:
        recv_until(ws, upto("notification-badge"))
        held = [send("alice", title=f"Before the restart {i}") for i in range(2)]
        recv_until(ws, upto(f'id="notification-{held[-1]}"'))
    server.stop()
    held.append(send("alice", title="While the server was down"))
    server.start()
    with tab.websocket() as ws:
        messages = recv_until(ws, upto("notification-badge"))
        assert f'id="notification-{held[-1]}"' in "".join(messages)
        results = end_quiet_hours(publisher, quiet_now)
        assert list(results[0].summaries.values()) == [3]
        messages += recv_until(ws, upto("toast-summary-"))
        assert summaries(messages) == [(held[-1], 3)]

    # A tab opened after the end: its snapshot and what follows carry no summary.
    late = HttpSession(server.url).login("alice")
    with late.websocket() as ws:
        messages = recv_until(ws, upto("notification-badge"))
        again = end_quiet_hours(publisher, quiet_now)  # nothing left to claim
        assert again[0].summaries == {}
        sentinel = send("alice", title="Sentinel")
        messages += recv_until(ws, upto(f'id="notification-{sentinel}"'))
    assert summaries(messages) == []


@pytest.fixture
def quiet_earlier(publisher) -> datetime:
    """Give alice quiet hours from three hours ago to an hour ago; return their middle."""
    now = datetime.now(UTC)
    local = now.astimezone(TZ)
    start, end = local - timedelta(hours=3), local - timedelta(hours=1)
    with publisher.app_context():
        db.session.add(
            Preference(
                user_id=users.by_username(db.session, "alice").id,
                timezone="Europe/Berlin",
                quiet_start=start.strftime("%H:%M"),
                quiet_end=end.strftime("%H:%M"),
                channels={},
            )
        )
        db.session.commit()
    return now - timedelta(hours=2)


@pytest.mark.parametrize("server_settings", [{"TOCSIN_CATCHUP_INTERVAL": "0.2"}])
def test_every_process_sweeping_still_sends_one_summary(
    server, publisher, send, quiet_earlier, tmp_path, database_url
):
    """Two servers' sweepers and two `tocsin catchup` runs race on the real clock."""
    env = server_env(tmp_path, database_url, TOCSIN_CATCHUP_INTERVAL="0.2")
    second = LiveServer(env).start()
    try:
        on_a = HttpSession(server.url).login("alice")
        on_b = HttpSession(second.url).login("alice")
        with on_a.websocket() as tab_a, on_b.websocket() as tab_b:
            seen = [recv_until(ws, upto("notification-badge")) for ws in (tab_a, tab_b)]
            # Published during quiet hours (held), in one transaction: the sweepers, on
            # the real clock, would otherwise release each as it commits.
            with time_machine.travel(quiet_earlier), publisher.app_context():
                alice = users.by_username(db.session, "alice").id
                ids = [
                    notify(alice, "comment", f"Overnight {i}", session=db.session).id
                    for i in range(4)
                ]
                db.session.commit()
                db.session.remove()
            clis = [
                subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "wsgi", "tocsin", "catchup"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(2)
            ]
            outputs = [cli.communicate(timeout=60) for cli in clis]
            assert [cli.returncode for cli in clis] == [0, 0], outputs
            for i, ws in enumerate((tab_a, tab_b)):
                seen[i] += recv_until(ws, upto("toast-summary-"))
            sentinel = send("alice", title="Sentinel")  # not quiet now: it toasts
            for i, ws in enumerate((tab_a, tab_b)):
                seen[i] += recv_until(ws, upto(f'id="toast-{sentinel}"'))
    finally:
        second.stop()
    for messages in seen:
        assert summaries(messages) == [(ids[-1], 4)]
    told = sum("summary of 4" in out for out, _ in outputs)
    assert told <= 1  # a CLI run, or a server's sweeper, sent it
