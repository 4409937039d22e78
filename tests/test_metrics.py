"""The metrics themselves: summed over processes in multiprocess mode (as gunicorn's
workers), a dead worker's open sockets dropped, the broker's state and the workers'
delivery outcomes."""

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tests import queue_support
from tests.metrics_support import value
from tocsin import gunicorn, metrics, state
from tocsin.models import utcnow

#: What one worker process does: two sockets open, one publish, one 1013 close.
WORKER = """
import os
from tocsin import metrics
metrics.OPEN_SOCKETS.inc(2)
metrics.PUBLISHES.labels("api").inc()
metrics.SOCKET_CLOSES.labels("1013").inc()
metrics.PUBLISH_SECONDS.observe(0.02)
print(os.getpid())
"""


def worker(folder) -> int:
    """Run WORKER in a process of its own, in multiprocess mode; return its pid."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_workers_values_are_summed_and_a_dead_ones_sockets_dropped(client, tmp_path, monkeypatch):
    folder = tmp_path / "metrics"
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(folder))
    gunicorn._metrics_folder()  # as the master at start: the folder is made (and emptied)
    first, second = worker(folder), worker(folder)
    page = client.get("/metrics").text
    assert value(page, "tocsin_open_sockets") == 4
    assert value(page, "tocsin_publishes_total", entry="api") == 2
    assert value(page, "tocsin_socket_closes_total", code="1013") == 2
    assert value(page, "tocsin_publish_seconds_count") == 2

    gunicorn.child_exit(None, SimpleNamespace(pid=first))
    page = client.get("/metrics").text
    assert value(page, "tocsin_open_sockets") == 2  # a live sum: the dead worker's are gone
    assert value(page, "tocsin_publishes_total", entry="api") == 2  # counters stay
    assert second != first


def test_the_master_empties_a_configured_folder_at_start(tmp_path, monkeypatch):
    folder = tmp_path / "metrics"
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(folder))
    gunicorn._metrics_folder()
    worker(folder)
    assert list(folder.glob("*.db"))
    gunicorn._metrics_folder()
    assert not list(folder.glob("*.db"))


def test_the_master_makes_a_folder_when_none_is_set(monkeypatch):
    environ = {k: v for k, v in os.environ.items() if k != metrics.MULTIPROC_ENV}
    monkeypatch.setattr(os, "environ", environ)  # the hook sets it: undone after the test
    monkeypatch.setattr(gunicorn, "_made", [""])
    gunicorn._metrics_folder()
    made = gunicorn._made[0]
    assert made and environ[metrics.MULTIPROC_ENV] == made and os.path.isdir(made)
    gunicorn.on_exit(None)
    assert not os.path.exists(made)


def test_a_lost_broker_link_shows_down_and_counts_once(app):
    broker = state.of(app).broker
    before = metrics.BROKER_RECONNECTS._value.get()
    broker._lost()
    broker._lost()  # still reconnecting: the same outage
    assert metrics.BROKER_UP._value.get() == 0
    assert metrics.BROKER_RECONNECTS._value.get() - before == 1
    broker._ready()
    assert metrics.BROKER_UP._value.get() == 1


@pytest.mark.usefixtures("ctx")
def test_the_workers_outcomes_are_counted_by_channel_and_state(app, client, notify, tmp_path):
    queue_support.install(app, tmp_path / "attempts.log")
    outcome = metrics.DELIVERY_OUTCOMES.labels("recorder", "sent")
    before = outcome._value.get()
    notify(type="queued_test", title="Build failed")
    huey = state.of(app).queue.huey
    assert huey.read_schedule(utcnow().replace(tzinfo=None)) == []
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    assert outcome._value.get() - before == 1
    page = client.get("/metrics").text
    assert value(page, "tocsin_delivery_outcomes_total", channel="recorder", state="sent") >= 1
