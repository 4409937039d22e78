"""Event streams under gunicorn: a worker told to stop ends them at once, cleanly, and the
next worker resumes each from its Last-Event-ID."""

import signal
import time

import pytest

from tests.integration.test_sse_stream import open_stream
from tests.support import GunicornServer, HttpSession, item_ids, server_env

#: Longer than any wait here: a stream that ends in time was ended by the shutdown hook.
GRACE = "60"


@pytest.mark.parametrize("worker_class", ["gevent", "gthread"])
def test_sigterm_ends_streams_at_once_and_the_next_worker_resumes(
    publisher, database_url, tmp_path, send, worker_class
):
    env = server_env(tmp_path, database_url, TOCSIN_GRACEFUL_TIMEOUT=GRACE)
    server = GunicornServer(env, worker_class=worker_class).start()
    try:
        alice = HttpSession(server.url).login("alice")
        first = send(title="before")
        with open_stream(alice) as stream:
            last = stream.next()["id"]
            assert last == first
            started = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            assert stream.ended(timeout=10)  # the chunked body ended: no cut connection
            assert time.monotonic() - started < 10
        server.proc.wait(timeout=30)
        missed = [send(title=f"missed {i}") for i in range(2)]
        server.start()
        with open_stream(alice, last_id=last) as stream:
            assert item_ids(stream.next()["data"]) == missed[::-1]
    finally:
        server.stop()
