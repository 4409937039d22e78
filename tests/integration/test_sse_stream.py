"""A real streaming HTTP client against `GET /notifications/stream` on a real server."""

import http.client
import json
import re
import time
import urllib.parse
from contextlib import contextmanager

import pytest

from tests.support import HttpSession, badge_count, item_ids, wait_until

HEARTBEAT = 1  # seconds, so that a test sees one quickly


@pytest.fixture
def server_settings():
    return {"TOCSIN_SSE_HEARTBEAT": str(HEARTBEAT)}


class Stream:
    """An open event stream, read event by event (the browser's EventSource parser)."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.response = response
        self.status = response.status
        self.headers = response.headers
        self.retry: int | None = None
        self.comments = 0

    def next(self, timeout: float = 5.0) -> dict:
        """Return the next event: {"id": int | None, "data": str}; raise TimeoutError."""
        deadline = time.monotonic() + timeout
        event: dict = {"id": None, "data": []}
        while time.monotonic() < deadline:
            self.response.fp.raw._sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                # The response's readline takes the chunked framing off; a cut connection
                # raises IncompleteRead, a clean end of the body returns b"".
                raw = self.response.readline()
            except TimeoutError:
                break
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\n")
            if not line:
                if event["data"] or event["id"] is not None:
                    return {"id": event["id"], "data": "\n".join(event["data"])}
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "":
                self.comments += 1
            elif field == "data":
                event["data"].append(value)
            elif field == "id":
                event["id"] = int(value)
            elif field == "retry":
                self.retry = int(value)
        raise TimeoutError("no event in time")

    def until(self, predicate, timeout: float = 5.0) -> list[dict]:
        seen: list[dict] = []
        deadline = time.monotonic() + timeout
        while True:
            seen.append(self.next(max(0.05, deadline - time.monotonic())))
            if predicate(seen[-1]):
                return seen

    def ended(self, timeout: float = 5.0) -> bool:
        try:
            while True:
                self.next(timeout)
        except EOFError:
            return True


@contextmanager
def open_stream(session: HttpSession, last_id: int | None = None, query: str = "", **headers):
    parts = urllib.parse.urlsplit(session.base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Cookie": session.cookie_header, "Accept": "text/event-stream", **headers}
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    conn.request("GET", "/notifications/stream" + query, headers=headers)
    response = conn.getresponse()
    try:
        yield Stream(response)
    finally:
        response.close()  # the response holds the socket open, not only the connection
        conn.close()


def test_headers_retry_snapshot_with_an_id_and_heartbeats(send, login):
    ids = [send(title=f"n{i}") for i in range(3)]
    with open_stream(login("alice")) as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert stream.headers["Cache-Control"] == "no-cache"
        assert stream.headers["X-Accel-Buffering"] == "no"
        snapshot = stream.next()
        assert stream.retry is not None
        assert snapshot["id"] == ids[-1] and item_ids(snapshot["data"]) == ids[::-1]
        assert badge_count(snapshot["data"]) == 3 and "data-tocsin-snapshot" in snapshot["data"]
        with pytest.raises(TimeoutError):  # nothing happens: only heartbeats come
            stream.next(HEARTBEAT * 2.5)
        assert stream.comments >= 1


def test_a_push_carries_the_new_id(send, login):
    with open_stream(login("alice")) as stream:
        stream.next()
        nid = send(title="<b>live</b>", priority="high")
        event = stream.until(lambda e: nid in item_ids(e["data"]))[-1]
    assert event["id"] == nid and f'id="toast-{nid}"' in event["data"]
    assert "&lt;b&gt;live" in event["data"] and badge_count(event["data"]) == 1


def test_last_event_id_replays_exactly_what_came_after(send, login):
    alice = login("alice")
    before = [send(title=f"before {i}") for i in range(2)]
    with open_stream(alice) as stream:
        last = stream.next()["id"]
    assert last == before[-1]
    missed = [send(title=f"missed {i}") for i in range(2)]
    with open_stream(alice, last_id=last) as stream:
        first = stream.next()
        assert item_ids(first["data"]) == missed[::-1]
        assert "data-tocsin-snapshot" not in first["data"]
        # One "2 new notifications while you were offline" toast, as a socket's reconnect.
        assert not re.findall(r'id="toast-(\d+)"', first["data"])
        assert 'data-count="2"' in first["data"] and "while you were offline" in first["data"]
        assert badge_count(first["data"]) == 4 and first["id"] == missed[-1]
        # Live again: the next row once, and the replayed ones never again.
        nid = send(title="after")
        event = stream.until(lambda e: item_ids(e["data"]))[-1]
        assert item_ids(event["data"]) == [nid] and event["id"] == nid


def test_the_query_fallback_resumes_too(send, login):
    alice = login("alice")
    start = send(title="start")
    nid = send(title="next")
    with open_stream(alice, query=f"?last_event_id={start}") as stream:
        assert item_ids(stream.next()["data"]) == [nid]


@pytest.mark.parametrize("behind", ["too old", "unknown"])
def test_a_too_old_or_unknown_id_gets_a_snapshot(send, login, behind):
    alice = login("alice")
    start = send(title="start")
    ids = [send(title=f"n{i}") for i in range(21)]  # more than a page (20)
    last = start if behind == "too old" else ids[-1] + 1000
    with open_stream(alice, last_id=last) as stream:
        first = stream.next()
    assert "data-tocsin-snapshot" in first["data"] and first["id"] == ids[-1]
    assert item_ids(first["data"]) == ids[::-1][:20]


def test_a_malformed_last_event_id_is_a_400(login):
    with open_stream(login("alice"), last_id=None, **{"Last-Event-ID": "x1"}) as stream:
        assert stream.status == 400


def test_without_a_login_or_from_another_origin_it_is_refused(server, login):
    with open_stream(HttpSession(server.url)) as stream:
        assert stream.status == 403
    with open_stream(login("alice"), Origin="http://evil.example") as stream:
        assert stream.status == 403


def test_logout_ends_the_stream_with_the_signed_out_bell(login):
    alice = login("alice")
    with open_stream(alice) as stream:
        stream.next()
        status, _, _ = alice.post("/logout")
        assert status in (302, 303)
        signed_out = stream.until(lambda e: "Signed out" in e["data"])[-1]
        assert "notification-bell" in signed_out["data"] and stream.ended()


def test_the_stream_ends_and_unregisters_when_the_client_goes(login):
    alice = login("alice")
    with open_stream(alice) as stream:
        stream.next()
        assert connections(alice) == 1
    # The next heartbeat's write fails: the generator's finally runs.
    wait_until(lambda: connections(alice) == 0, timeout=HEARTBEAT * 6, what="unregistered")


def test_visibility_reaches_the_stream_by_post(login):
    alice = login("alice")
    with open_stream(alice, query="?tab=tab-0123456789&visible=0") as stream:
        stream.next()
        status, body, _ = alice.post(
            "/notifications/stream/visibility", {"tab": "tab-0123456789", "visible": "1"}
        )
        assert status == 204, body
        status, _, _ = alice.post("/notifications/stream/visibility", {"tab": "no", "visible": "1"})
        assert status == 400
        anonymous = HttpSession(alice.base)
        status, _, _ = anonymous.post(
            "/notifications/stream/visibility", {"tab": "tab-0123456789", "visible": "1"}
        )
        assert status in (400, 403)


def connections(session: HttpSession) -> int:
    return json.loads(session.get("/healthz")[1])["connections"]


def test_a_head_answers_without_opening_a_stream(server, login):
    """The page asks this before it falls back: the server is up, the stream allowed."""
    alice = login("alice")
    parts = urllib.parse.urlsplit(alice.base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    conn.request("HEAD", "/notifications/stream", headers={"Cookie": alice.cookie_header})
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b""
    conn.close()
    assert connections(alice) == 0
