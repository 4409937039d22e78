"""Web Push's pure parts: the payload and its cap, the Topic, Retry-After, the host check."""

import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tocsin.channels import push, push_hosts
from tocsin.channels.delivery_record import MAX_BACKOFF
from tocsin.channels.outcomes import Permanent, Retry, Skip
from tocsin.models import Notification


def note(**fields) -> Notification:
    defaults = {"id": 7, "title": "Hi", "body": None, "url": None, "priority": "normal"}
    return Notification(**{**defaults, "group_key": None, **fields})


def test_the_payload_holds_only_what_the_service_worker_shows():
    data = json.loads(push.payload(note(body="b", url="/x", priority="urgent", actor="bob")))
    assert set(data) == {"title", "body", "url", "id", "tag", "urgent"}
    assert data["urgent"] is True and data["url"] == "/x"


def test_an_unsafe_stored_link_is_not_sent():
    assert json.loads(push.payload(note(url="javascript:alert(1)")))["url"] is None


@pytest.mark.parametrize(
    "fields",
    [
        {"body": "x" * 10_000},
        {"body": "😀" * 2000, "title": "🔥" * 200, "url": "/" + "y" * 2047},
        {"title": "é" * 5000, "url": "/" + "y" * 2047},
    ],
)
def test_the_payload_never_passes_the_cap(fields):
    data = push.payload(note(**fields))
    assert len(data) <= push.PAYLOAD_MAX
    json.loads(data)  # still whole JSON: cut by characters, never mid-character


def test_topic_is_per_group_else_per_notification_and_url_safe():
    a, b = push.topic(note(id=1, group_key="pr-9")), push.topic(note(id=2, group_key="pr-9"))
    assert a == b != push.topic(note(id=1)) != push.topic(note(id=2))
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", a)


def test_retry_after_in_seconds_or_as_a_date_capped():
    assert push.seconds("120") == 120
    assert push.seconds(None) is None and push.seconds("soon") is None
    assert push.seconds(str(10**9)) == MAX_BACKOFF
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    assert 590 <= push.seconds(later) <= 600
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=10), usegmt=True)
    assert push.seconds(past) == 0


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (201, "sent"),
        (202, "sent"),
        (404, "gone"),
        (410, "gone"),
        (413, "refused"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (400, "refused"),
        (403, "refused"),
    ],
)
def test_each_status(status, outcome):
    assert push.answer(status, None).outcome == outcome


def test_decide_any_sent_wins_then_retry_then_refused_then_skip():
    sent, gone = push.Answer("sent"), push.Answer("gone", "410")
    busy, full = push.Answer("retry", "429", 30), push.Answer("refused", "413")
    push.decide([busy, sent, full])
    with pytest.raises(Retry) as retry:
        push.decide([full, busy, push.Answer("retry", "503")])
    assert retry.value.after == 30
    with pytest.raises(Permanent):
        push.decide([gone, full])
    with pytest.raises(Skip):
        push.decide([gone, gone])


@pytest.mark.parametrize(
    "endpoint",
    ["https://fcm.googleapis.com/fcm/send/abc", "https://8.8.8.8/x", "https://[2001:4860::8888]/x"],
)
def test_public_https_endpoints_pass(endpoint):
    push_hosts.check(endpoint, frozenset(), resolve=False)


def test_allowed_hosts_parse_commas_and_spaces():
    assert push_hosts.allowed_hosts("127.0.0.1:8080, Push.Local  x:1") == {
        "127.0.0.1:8080",
        "push.local",
        "x:1",
    }
    assert push_hosts.allowed_hosts(None) == frozenset()
