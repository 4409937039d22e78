"""The partials: macros with declared arguments, overridable by file name; the page's signals."""

import re

import pytest
from flask_login import login_user
from jinja2 import ChoiceLoader, DictLoader, meta

from app import users
from tests.conftest import user_id
from tocsin import notify_many
from tocsin.config import PACKAGE
from tocsin.extensions import db
from tocsin.live import push
from tocsin.live.connection import Connection

TEMPLATES = PACKAGE / "templates"
#: What each template rendered from Python takes (its header comment says the same);
#: every other partial holds macros and reads nothing but their arguments and globals.
CONTEXT = {
    "tocsin/_panel.html": {"page", "up_to", "state"},
    "tocsin/_page.html": {"page", "state"},
    "tocsin/_push.html": {
        *("new", "changed", "toasts", "sounds", "browsers", "up_to"),
        *("grown", "grown_toasts", "grown_held"),
    },
    "tocsin/_read.html": {"items"},
    "tocsin/_snapshot.html": {"page", "items_html", "count", "up_to", "toasts", "missed", "snooze"},
    "tocsin/_items.html": {"items", "token"},
    "tocsin/_unavailable.html": {"retry_after"},
    "tocsin/unavailable.html": {"retry_after", "back"},
    "tocsin/inbox.html": {"page", "up_to", "before", "state", "query", "counts", "known_types"},
    "tocsin/layout.html": {"current_user"},  # Flask-Login's context processor
    "tocsin/_bell.html": {"current_user"},  # whose first timezone tocsin.js sends
    "tocsin/_preferences.html": {"values", "zones", "saved", "error", "languages"},
    "tocsin/preferences.html": {"values", "zones", "saved", "error", "languages"},
    "tocsin/_toast_summary.html": {"summary"},
    "tocsin/_group_members.html": {"n", "members"},
    "tocsin/group.html": {"n", "members"},
    "tocsin/_housekeeping.html": {"changed", "restored", "removed", "count", "offer"},
    "tocsin/email.html": {"n", "info", "link", "unsubscribe", "preferences", "zone"},
    "tocsin/email.txt": {"n", "info", "link", "unsubscribe", "preferences", "zone"},
    "tocsin/email_digest.html": {
        "entries",
        "more",
        "period",
        "inbox",
        "unsubscribe",
        "preferences",
        "zone",
    },
    "tocsin/email_digest.txt": {
        *("entries", "more", "period", "inbox", "unsubscribe", "preferences", "zone"),
    },
    "tocsin/email_address.html": {"setting", "error"},
    "tocsin/unsubscribe.html": {"error", "view"},
    "tocsin/push_open.html": {"notification", "via"},
    "tocsin/analytics.html": {"period", "funnels", "charts", "events", "error", "form"},
}


def partials() -> list[str]:
    return sorted(
        p.relative_to(TEMPLATES).as_posix()
        for p in (TEMPLATES / "tocsin").glob("*.html")  # types/ take `n` and `info`
    )


@pytest.mark.parametrize("name", partials())
def test_no_partial_reads_a_variable_it_does_not_declare(app, name):
    env = app.jinja_env
    source = env.loader.get_source(env, name)[0]
    undeclared = meta.find_undeclared_variables(env.parse(source)) - set(env.globals)
    assert undeclared <= CONTEXT.get(name, set()), name


def test_the_icon_markup_lives_in_one_macro():
    uses = {p.name: p.read_text().count("<svg") for p in (TEMPLATES / "tocsin").glob("*.html")}
    assert {name for name, count in uses.items() if count} == {"_icon.html"}


#: A host's item: the same macro name and arguments, its own markup.
HOST_ITEM = (
    "{% macro item(n, token, oob=False) %}"
    '<li id="notification-{{ n.id }}" class="host-item"'
    '{% if oob %} hx-swap-oob="true"{% endif %}>{{ n.title }}</li>'
    "{% endmacro %}"
)


@pytest.fixture
def host_item(app):
    override = DictLoader({"tocsin/_item.html": HOST_ITEM})
    app.jinja_loader = ChoiceLoader([override, app.jinja_loader])
    app.jinja_env.cache.clear()
    yield
    app.jinja_env.cache.clear()


def test_a_host_override_of_the_item_partial_is_used_everywhere(app, client, auth, host_item):
    auth.login()
    with app.app_context():
        (nid,) = notify_many(["alice"], "comment", title="Overridden")
    panel = client.get("/notifications/panel").text
    inbox = client.get("/notifications").text
    read = auth.post(f"/notifications/{nid}/read", htmx=True).text
    for page in (panel, inbox, read):
        assert f'<li id="notification-{nid}" class="host-item"' in page
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        conn = Connection(user_id("alice"), maxsize=8)
        conn.csrf_token = "token"
        (later,) = notify_many(["alice"], "comment", title="Pushed")
        pushed = push.render(db.session, conn, [{"kind": "created", "ids": [later]}])
        snapshot = push.snapshot(db.session, conn)
    assert f'<li id="notification-{later}" class="host-item">Pushed</li>' in pushed
    assert snapshot.count('class="host-item"') == 2


def test_the_bell_starts_connecting_with_the_token_for_the_pages_posts(client, auth):
    auth.login()
    bell = client.get("/notifications/bell").text
    assert re.search(r'id="connection-status"[^>]*data-state="connecting"', bell)
    assert ">Connecting…<" in bell
    token = re.search(r'id="tocsin-csrf-token" value="([^"]+)"', bell).group(1)
    assert f'"X-CSRFToken": "{token}"' in bell


def test_the_inbox_title_is_a_setting_not_tocsins_name(app, client, auth):
    auth.login()
    assert "<title>Notifications</title>" in client.get("/notifications").text
    app.config["TOCSIN_INBOX_TITLE"] = "Your alerts · Shop"
    assert "<title>Your alerts · Shop</title>" in client.get("/notifications").text


def test_helper_classes_are_prefixed():
    css = (PACKAGE / "static" / "tocsin" / "tocsin.css").read_text()
    selectors = re.findall(r"\.([a-z][\w-]*)", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    assert selectors and all(s.startswith("tocsin-") or s == "is-unread" for s in selectors)
    for path in (TEMPLATES / "tocsin").rglob("*.html"):
        assert 'class="visually-hidden"' not in path.read_text(), path


def test_the_saved_filters_sidebar_is_one_escaped_root_with_real_forms(app):
    """Issue 14: _saved_filters.html's macro, as the inbox and the routes' answers use it."""
    from types import SimpleNamespace

    from flask import get_template_attribute
    from werkzeug.datastructures import MultiDict

    from tocsin.notifications import inbox_query

    query = inbox_query.parse(MultiDict([("state", "unread"), ("q", "<b>x</b>")]), ())
    mine = SimpleNamespace(id=7, name="<i>Mine</i>", query=query.query_string())
    other = SimpleNamespace(id=8, name="Other", query="state=read")
    with app.test_request_context("/notifications"):
        macro = get_template_attribute("tocsin/_saved_filters.html", "saved_filters")
        html = str(macro([mine, other], query, "tok", status="Saved “<i>Mine</i>”."))
    assert html.startswith('<aside id="tocsin-saved-filters"') and html.endswith("</aside>")
    assert html.count("<aside") == 1 and "<i>" not in html and "&lt;i&gt;Mine&lt;/i&gt;" in html
    link = re.search(r'<a id="tocsin-saved-link-7"[^>]*>', html).group(0)
    assert 'href="/notifications?state=unread&amp;q=%3Cb%3Ex%3C%2Fb%3E"' in link
    assert 'aria-current="page"' in link
    assert "aria-current" not in re.search(r'<a id="tocsin-saved-link-8"[^>]*>', html).group(0)
    # Every form is a real one with the token; icon buttons are named with the filter.
    assert html.count('name="csrf_token" value="tok"') == 5
    assert 'aria-label="Delete saved filter: &lt;i&gt;Mine&lt;/i&gt;"' in html
    assert 'aria-label="Rename: Other"' in html
    assert '<input type="hidden" name="q" value="&lt;b&gt;x&lt;/b&gt;">' in html
    assert '<details class="tocsin-saved-details">' in html  # collapsed on a phone
