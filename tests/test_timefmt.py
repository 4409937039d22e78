from datetime import UTC, datetime, timedelta

import pytest

from tocsin.notifications.timefmt import isotime, relative_time

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=1, hours=2), "yesterday"),
        (timedelta(days=6), "6 days ago"),
        (timedelta(days=8), "Nov 13"),
        (timedelta(days=400), "Oct 17, 2025"),
    ],
)
def test_relative_time(ago, text):
    assert relative_time(NOW - ago, NOW) == text


def test_isotime_keeps_the_zone():
    assert isotime(NOW) == "2026-11-21T12:00:00+00:00"
