"""The analytics page and its CSV: admins only (others 404, anonymous to the login), a
bounded date range (400 otherwise), the funnel table, SVG charts and formula-safe CSV."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app import users
from tocsin.analytics import chart, export, period
from tocsin.extensions import db
from tocsin.models import AnalyticsDaily, utcnow

PAGE = "/notifications/analytics"


@pytest.fixture
def admin(app, auth):
    """alice, made an admin, logged in."""
    with app.app_context():
        users.by_username(db.session, "alice").admin = True
        db.session.commit()
    auth.login()
    return auth


def add(app, *rows: tuple[date, str, str, str, int]) -> None:
    with app.app_context():
        db.session.execute(
            sa.insert(AnalyticsDaily),
            [dict(zip(("day", "type", "channel", "event", "count"), r, strict=True)) for r in rows],
        )
        db.session.commit()


def test_anonymous_users_go_to_the_login_page(client):
    for path in (PAGE, PAGE + ".csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_user_who_is_not_an_admin_gets_a_404(client, auth):
    auth.login("bob")
    assert client.get(PAGE).status_code == 404
    assert client.get(PAGE + ".csv").status_code == 404
    assert "tocsin-analytics-link" not in client.get("/notifications").text
    assert "tocsin-analytics-link" not in client.get("/notifications/preferences").text


def test_an_admin_sees_the_funnel_and_a_chart_per_event(app, client, admin):
    today = utcnow().date()
    add(
        app,
        (today, "comment", "live", "sent", 200),
        (today, "comment", "live", "read", 50),
        (today - timedelta(days=1), "comment", "live", "sent", 100),
        (today, "comment", "email", "sent", 10),
        (today - timedelta(days=40), "comment", "live", "sent", 999),  # before the range
    )
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.text
    row = re.search(r'<tr data-type="comment" data-channel="live">.*?</tr>', html, re.S).group(0)
    assert re.search(r'data-event="sent">300<', row)
    assert re.search(r'data-event="read">50<span class="tocsin-analytics-rate">16.7%</span>', row)
    assert '<tr data-type="comment" data-channel="email">' in html
    assert re.search(r'<svg id="tocsin-chart-sent" role="img" aria-labelledby="[^"]+"', html)
    assert '<title id="tocsin-chart-sent-title">Sent per day</title>' in html
    assert "310 in all from" in html
    assert 'id="tocsin-chart-read"' in html and 'id="tocsin-chart-acted"' not in html
    assert "tocsin-analytics-link" in client.get("/notifications").text
    assert "tocsin-analytics-link" in client.get("/notifications/preferences").text


def test_a_range_picks_the_days(app, client, admin):
    add(app, (date(2026, 1, 10), "comment", "live", "sent", 7))
    html = client.get(PAGE, query_string={"from": "2026-01-01", "to": "2026-01-31"}).text
    assert 'data-event="sent">7<' in html
    html = client.get(PAGE, query_string={"from": "2026-02-01", "to": "2026-02-28"}).text
    assert "No events in this range." in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"from": "yesterday"}, "from must be a date as YYYY-MM-DD"),
        ({"to": "2026-13-01"}, "to must be a date as YYYY-MM-DD"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from must be on or before to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "at most 367 days"),
        ({"from": "２０２６-01-01"}, "from must be a date"),
    ],
)
def test_a_bad_range_is_a_400_with_the_reason(client, admin, args, message):
    response = client.get(PAGE, query_string=args)
    assert response.status_code == 400 and message in response.text
    assert 'id="tocsin-analytics-range"' in response.text  # the form to fix it
    assert client.get(PAGE + ".csv", query_string=args).status_code == 400


def test_type_names_are_escaped_in_the_table_and_the_csv_against_formulas(app, client, admin):
    today = utcnow().date()
    add(
        app,
        (today, "<b>x</b>", "live", "sent", 3),
        (today, "=HYPERLINK(1)", "live", "sent", 2),
        (today, "@sum", "-email", "read", 1),
    )
    html = client.get(PAGE).text
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    response = client.get(PAGE + ".csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == [
        "day",
        "type",
        "channel",
        "sent",
        "delivered",
        "seen",
        "read",
        "clicked",
        "dismissed",
        "archived",
        "acted",
    ]
    by_type = {r[1]: r for r in table[1:]}
    assert set(by_type) == {"<b>x</b>", "'=HYPERLINK(1)", "'@sum"}
    assert by_type["'@sum"][2] == "'-email" and by_type["'@sum"][6] == "1"
    assert by_type["<b>x</b>"][:4] == [today.isoformat(), "<b>x</b>", "live", "3"]


def test_cells_that_would_be_formulas_are_quoted():
    assert [export.cell(v) for v in ("=1", "+1", "-1", "@a", "\tx", "ok", 5)] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "ok",
        "5",
    ]


def test_the_default_range_is_the_last_30_days():
    today = date(2026, 3, 31)
    chosen = period.parse({}, today)
    assert (chosen.start, chosen.end, len(chosen.days)) == (date(2026, 3, 2), today, 30)


def test_the_chart_scales_to_a_round_top_and_labels_its_axes():
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(10)]
    built = chart.build("sent", days, [0, 3, 7, 0, 12, 0, 0, 1, 0, 5])
    assert [t.label for t in built.y_ticks] == ["0", "5", "10", "15"]
    assert len(built.x_ticks) == 5 and built.x_ticks[0].label == "01-01"
    tallest = max(built.bars, key=lambda b: b.height)
    assert tallest.value == 12 and built.peak_day == date(2026, 1, 5) and built.total == 28
    assert all(b.y + b.height == pytest.approx(chart.HEIGHT - chart.BOTTOM) for b in built.bars)
    assert chart.build("read", days, [0] * 10).y_ticks[-1].label == "1"
    assert [chart.compact(v) for v in (950, 9500, 95_000, 2_500_000)] == [
        "950",
        "9,500",
        "95k",
        "2.5M",
    ]
