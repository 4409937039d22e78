"""docs/deploy.md's production command from an install without the test extras."""

import pytest

from tests.support import ROOT, GunicornServer, HttpSession, server_env
from tests.wheel.conftest import clean_env, run

pytestmark = pytest.mark.wheel


def test_gunicorn_with_the_gevent_worker_serves_healthz_and_a_socket(fresh_venv, tmp_path):
    """`gunicorn -c python:tocsin.gunicorn wsgi:app` (gevent: it needs `packaging`)."""
    env = clean_env(**{k: v for k, v in server_env(tmp_path).items() if k.startswith("TOCSIN_")})
    run(str(fresh_venv / "flask"), "--app", "wsgi", "tocsin", "init", "--demo", cwd=ROOT, env=env)
    server = GunicornServer(env, worker_class="gevent", python=str(fresh_venv / "python"))
    server.start()  # waits for /healthz to answer 200
    try:
        alice = HttpSession(server.url).login("alice")
        with alice.websocket() as ws:
            assert 'id="notification-badge"' in ws.recv(timeout=5)
        assert "gevent" in server.log.read_text()
    finally:
        server.stop()
