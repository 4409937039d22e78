"""JSON-lines logs: they parse, carry ids for publish and delivery, and never the content."""

import io
import json
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app, users
from tests import queue_support
from tocsin import logs, notify_many, state
from tocsin.extensions import db
from tocsin.models import Delivery, utcnow

#: A notification's content, each part distinctive: none of it may reach a log line.
CONTENT = {
    "title": "Zebra-title-7f3a",
    "body": "Quokka-body-91c2",
    "url": "/secret-path-55d1",
    "actor": "Ocelot-actor-2b8e",
    "data": {"note": "Narwhal-data-c4d9"},
}


@pytest.fixture
def json_lines():
    """Tocsin's log records at INFO as JSON lines, in a buffer; a function returning them."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger(logs.ROOT)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in out.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(level)
    assert not any(part in out.getvalue() for part in secrets())


def secrets() -> list[str]:
    return [CONTENT["title"], CONTENT["body"], CONTENT["url"], CONTENT["actor"], "Narwhal"]


def test_a_line_is_one_json_object_of_known_fields_only(json_lines):
    extra = {"user_id": 7, "socket_id": "abc", "title": "dropped", "body": "dropped"}
    logging.getLogger("tocsin.test").info("connect", extra=extra)
    [line] = json_lines()
    assert set(line) == {"ts", "level", "logger", "event", "user_id", "socket_id"}
    assert (line["event"], line["level"], line["logger"]) == ("connect", "INFO", "tocsin.test")
    assert line["ts"].endswith("+00:00")


def test_publish_is_logged_with_ids_and_never_the_content(app, ctx, json_lines, notify):
    nid = notify(type="mention", **CONTENT)
    ids = notify_many(["alice", "bob"], "system", **CONTENT)
    publishes = [line for line in json_lines() if line["event"] == "publish"]
    assert [p["notification_ids"] for p in publishes] == [[nid], ids]
    first, fan_out = publishes
    assert first["entry"] == "service" and first["count"] == 1 and first["type"] == "mention"
    assert isinstance(first["user_id"], int) and first["duration_ms"] >= 0
    assert fan_out["entry"] == "python" and fan_out["count"] == 2 and "user_id" not in fan_out


def test_a_fan_out_lists_a_bounded_number_of_ids(app, ctx, json_lines):
    for n in range(logs.MAX_IDS + 5):
        users.create(db.session, f"user{n}", "-")
    ids = notify_many([f"user{n}" for n in range(logs.MAX_IDS + 5)], "system", "Hi")
    [line] = [line for line in json_lines() if line["event"] == "publish"]
    assert line["notification_ids"] == ids[: logs.MAX_IDS] and line["count"] == len(ids)


def test_a_delivery_is_logged_with_its_ids_and_state(app, ctx, json_lines, notify, tmp_path):
    queue_support.install(app, tmp_path / "attempts.log")
    nid = notify(type="queued_test", **CONTENT)
    huey = state.of(app).queue.huey
    for task in huey.read_schedule(utcnow().replace(tzinfo=None) + timedelta(days=1)):
        huey.enqueue(task)
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    delivery_id = db.session.scalar(sa.select(Delivery.id).where(Delivery.notification_id == nid))
    [line] = [line for line in json_lines() if line["event"] == "delivery"]
    assert line["delivery_id"] == delivery_id and line["notification_id"] == nid
    assert (line["channel"], line["state"], line["attempts"]) == ("recorder", "sent", 1)


def test_init_app_logs_json_to_stderr_when_nothing_else_is_set_up(
    app, monkeypatch, capsys, json_lines
):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    app.config["TOCSIN_LOG_FORMAT"] = "json"
    logs.init_app(app)
    [handler] = root.handlers
    assert isinstance(handler.formatter, logs.JsonFormatter)
    logging.getLogger("tocsin.test").info("disconnect", extra={"code": 1013})
    line = json.loads(capsys.readouterr().err.splitlines()[-1])
    assert (line["event"], line["code"]) == ("disconnect", 1013)
    logs.init_app(app)  # a second app in the process adds no second handler
    assert len(root.handlers) == 1


def test_the_text_format_carries_the_same_fields():
    record = logging.LogRecord("tocsin.x", logging.INFO, __file__, 1, "connect", (), None)
    record.user_id, record.title = 5, "dropped"
    line = logs.TextFormatter().format(record)
    assert line.endswith("INFO tocsin.x connect user_id=5") and "dropped" not in line


def test_an_unknown_format_stops_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TOCSIN_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="TOCSIN_LOG_FORMAT"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
