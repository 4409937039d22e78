"""Consumers for real: two `flask tocsin worker` processes on one Redis and one PostgreSQL,
and the embedded consumer `make run` starts on threads beside the server."""

import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app, users
from tests import queue_support
from tests.conftest import POSTGRES_URL, postgres_url
from tests.support import ROOT, server_env, wait_until
from tocsin import state
from tocsin.extensions import db
from tocsin.models import Delivery
from tocsin.notifications import service

#: Notifications published for the two workers; each is also enqueued a second time.
COUNT = 20


def make_app(tmp_path, database_url: str, **config):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "t", **config}
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        users.create(db.session, "alice", "tocsin")
    return app


def drop_schema(schema: str) -> None:
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def states(app) -> list[str]:
    with app.app_context():
        try:
            return list(db.session.scalars(sa.select(Delivery.state).order_by(Delivery.id)))
        finally:
            db.session.remove()


def worker(env: dict, log: Path) -> subprocess.Popen:
    command = ["-m", "flask", "--app", "tests.queue_support:create_app()", "tocsin", "worker"]
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, *command, "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.postgres
def test_two_worker_processes_deliver_each_once(tmp_path, redis_url, channel_prefix, monkeypatch):
    schema = f"tocsin_queue_{uuid.uuid4().hex[:8]}"
    database_url = postgres_url(schema, fresh=True)
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    app = make_app(
        tmp_path,
        database_url,
        TOCSIN_REDIS_URL=redis_url,
        TOCSIN_REDIS_CHANNEL_PREFIX=channel_prefix,
    )
    attempts = tmp_path / "attempts.log"
    recorder = queue_support.install(app, attempts)
    queue = state.of(app).queue
    env = server_env(
        tmp_path,
        database_url,
        TOCSIN_REDIS_URL=redis_url,
        TOCSIN_REDIS_CHANNEL_PREFIX=channel_prefix,
        TOCSIN_TEST_ATTEMPTS=str(attempts),
        TOCSIN_TEST_HOLD="0.05",
    )
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    procs = [worker(env, log) for log in logs]
    try:
        wait_until(
            lambda: all("Huey consumer started" in log.read_text() for log in logs),
            timeout=30,
            what="both workers started",
        )
        with app.app_context():
            alice = users.by_username(db.session, "alice").id
            for n in range(COUNT):
                service.create(db.session, alice, type="queued_test", title=f"Deploy {n}")
            ids = list(db.session.scalars(sa.select(Delivery.id)))
            assert queue.enqueue(ids)  # every job twice: a duplicated task
            db.session.remove()
        wait_until(lambda: states(app) == ["sent"] * COUNT, timeout=30, what="all sent")
        assert sorted(recorder.attempts()) == sorted(ids)
        pids = {line.split()[1] for line in attempts.read_text().splitlines()}
        assert pids == {str(proc.pid) for proc in procs}  # both took their share
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)  # graceful: after the running jobs
        for proc in procs:
            proc.wait(timeout=20)
        outputs = [log.read_text() for log in logs]
        queue.huey.storage.flush_all()
        with app.app_context():
            db.engine.dispose()
        drop_schema(schema)
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert all("Huey consumer started with 2 thread" in out for out in outputs), outputs
    assert all("All workers have stopped" in out for out in outputs), outputs


def test_the_worker_refuses_an_immediate_queue(runner, monkeypatch):
    state.of(runner.app).queue.huey.immediate = True
    result = runner.invoke(args=["tocsin", "worker"])
    assert result.exit_code == 2
    assert "TOCSIN_QUEUE_IMMEDIATE" in result.output


def test_the_embedded_consumer_starts_off_the_main_thread_once(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", TOCSIN_EMBEDDED_WORKER=True)
    recorder = queue_support.install(app, tmp_path / "attempts.log")
    embedded = state.of(app).embedded
    assert embedded is not None and embedded.consumer is None  # not before a request
    client = app.test_client()
    try:
        requests = [threading.Thread(target=client.get, args=("/healthz",)) for _ in range(3)]
        for thread in requests:
            thread.start()
        for thread in requests:
            thread.join()
        consumer = embedded.consumer
        assert consumer is not None
        client.get("/healthz")
        assert embedded.consumer is consumer  # once per process
        workers = [t for t in threading.enumerate() if t.name.startswith("Worker-")]
        assert len(workers) == 2 and all(t.daemon for t in workers)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the server's, untouched
        with app.app_context():
            alice = users.by_username(db.session, "alice").id
            service.create(db.session, alice, type="queued_test", title="Deployed")
            db.session.remove()
        wait_until(lambda: states(app) == ["sent"], timeout=15, what="sent")
        assert len(recorder.attempts()) == 1
    finally:
        embedded.stop()
        with app.app_context():
            db.engine.dispose()


def test_no_embedded_consumer_unless_asked(app):
    assert state.of(app).embedded is None
