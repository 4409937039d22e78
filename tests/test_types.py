"""The type catalog: built-ins, a host's own and overridden types, and the fallback look."""

import re

import pytest
from flask import Flask, current_app, render_template_string

from app import create_app, users
from tests.conftest import user_id
from tocsin import Tocsin
from tocsin.config import PACKAGE
from tocsin.extensions import db
from tocsin.models import Notification, utcnow
from tocsin.notifications import service
from tocsin.notifications.types import (
    NOTIFICATION_TYPES,
    Action,
    NotificationType,
    TypeCatalog,
    catalog,
    type_info,
)
from tocsin.notifications.validation import InvalidNotification, clean

BUILT_IN = [
    "comment",
    "mention",
    "like",
    "follow",
    "message",
    "friend_request",
    "order",
    "payment",
    "system",
    "security",
]
INVOICE = NotificationType(
    "invoice",
    "payment",
    "Invoice",
    "high",
    actions=(Action("pay", "Pay now", style="primary", outcome="Paid"),),
    action_endpoint="host_answer",
)


def write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host app with its own templates folder: a new type, and comment overridden."""
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    types = tmp_path / "templates" / "tocsin" / "types"
    write(
        types / "invoice.html",
        (
            '{% extends "tocsin/types/_default.html" %}'
            "{% block title %}Invoice {{ n.data.number }} is due: {{ n.title }}{% endblock %}"
        ),
    )
    write(types / "comment.html", '<span class="host-comment">{{ n.actor }} replied</span>')
    app = Flask("host", template_folder=str(tmp_path / "templates"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="host",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'host.sqlite3'}",
    )
    app.add_url_rule(
        "/answer/<int:notification_id>/<action>", "host_answer", lambda **_: "", methods=["POST"]
    )
    Tocsin(app, types=[INVOICE, NotificationType("comment", "message", "Reply", "high")])
    with app.app_context():
        db.create_all()
        users.create(db.session, "carol", "tocsin")
        yield app
        db.session.remove()
        db.engine.dispose()


def publish(**fields) -> Notification:
    return service.create(db.session, users.by_username(db.session, "carol").id, **fields)


#: How each component's macro is called: its file is the override point, the macro its API.
CALLS = {
    "tocsin/_item.html": ("item", "item(n, 'token')"),
    "tocsin/_toast.html": ("toast", "toast(n)"),
}


def render(name: str, n: Notification) -> str:
    macro, call = CALLS[name]
    source = f'{{% from "{name}" import {macro} with context %}}{{{{ {call} }}}}'
    with current_app.test_request_context():
        return render_template_string(source, n=n)


def test_built_in_types_each_have_a_text_template():
    assert sorted(NOTIFICATION_TYPES) == sorted(BUILT_IN)
    for name in BUILT_IN:
        info = NOTIFICATION_TYPES[name]
        assert (PACKAGE / "templates" / info.text_template).is_file(), name
        assert (PACKAGE / "static" / "tocsin" / "icons.svg").read_text().count(f'id="{info.icon}"')
    assert [a.name for a in NOTIFICATION_TYPES["friend_request"].actions] == ["accept", "decline"]


def test_a_host_type_is_valid_takes_its_priority_and_renders_its_template(host):
    n = publish(type="invoice", title="March", data={"number": "INV-7"})
    assert n.priority == "high"
    item = render("tocsin/_item.html", n)
    assert "Invoice INV-7 is due: March" in item
    assert 'icons.svg#payment"' in item and ">Invoice, unread:<" in item
    # The type's action posts to the endpoint it names, with the id and the action.
    assert f'action="/answer/{n.id}/pay" hx-post="/answer/{n.id}/pay"' in item
    assert 'aria-label="Pay now invoice: March"' in item
    # The toast says the same.
    assert "Invoice INV-7 is due: March" in render("tocsin/_toast.html", n)


def test_a_host_overrides_a_built_in_type_and_its_template(host):
    n = publish(type="comment", title="Hi", actor="dave")
    assert n.priority == "high"
    item = render("tocsin/_item.html", n)
    assert '<span class="host-comment">dave replied</span>' in item
    assert 'icons.svg#message"' in item and ">Reply, unread:<" in item


def test_types_belong_to_their_app(host, tmp_path):
    assert "invoice" in catalog(host)
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
        }
    )
    assert "invoice" not in catalog(other)
    with other.app_context(), pytest.raises(InvalidNotification, match="^type: unknown"):
        clean(type="invoice", title="x")


def test_outside_an_app_the_built_ins_apply():
    assert clean(type="security", title="x").priority == "urgent"
    with pytest.raises(InvalidNotification, match="^type: unknown type 'invoice'"):
        clean(type="invoice", title="x")


def test_register_type_after_init(host):
    Tocsin().register_type(host, NotificationType("digest", "system", "Weekly digest", "low"))
    n = publish(type="digest", title="Your week")
    assert n.priority == "low"
    # No template of its own: the default text.
    assert '<span class="tocsin-item-title">Your week</span>' in render("tocsin/_item.html", n)


def test_a_retired_type_still_renders_with_a_generic_look(host):
    n = Notification(
        user_id=1,
        type="old_promo",
        title="Sale!",
        body="Last day",
        priority="normal",
        created_at=utcnow(),
    )
    db.session.add(n)
    db.session.commit()
    assert type_info("old_promo") == NotificationType("old_promo", "system", "Old promo")
    item = render("tocsin/_item.html", n)
    assert 'icons.svg#system"' in item and ">Old promo, unread:<" in item
    assert re.search(
        r'tocsin-item-title">Sale!</span>\s*<span class="tocsin-item-body">Last day', item
    )
    with pytest.raises(InvalidNotification, match="^type: unknown"):
        publish(type="old_promo", title="again")


@pytest.mark.parametrize("name", ["Bad", "two words", "../x", "x" * 41, "", "_x"])
def test_type_names_are_checked(name):
    with pytest.raises(ValueError, match="type name"):
        TypeCatalog([NotificationType(name, "system", "Bad")])


def test_actions_need_an_endpoint_before_buttons_show(app, ctx):
    n = service.create(db.session, user_id("alice"), type="friend_request", title="Hi", actor="bob")
    assert "tocsin-item-actions" in render("tocsin/_item.html", n)  # the demo's
    bare = TypeCatalog()
    assert bare.get("friend_request").action_endpoint is None
    bare.route_actions("friend_request", "somewhere.answer")
    assert bare.get("friend_request").action_endpoint == "somewhere.answer"
    assert TypeCatalog().get("friend_request").action_endpoint is None  # no shared state


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"type": "comment", "actor": "bob"}, "bob commented: T"),
        ({"type": "mention", "actor": "bob"}, "bob mentioned you: T"),
        ({"type": "like", "actor": "bob"}, "bob liked: T"),
        ({"type": "follow", "actor": "bob"}, "bob followed you: T"),
        ({"type": "message", "actor": "bob"}, "Message from bob: T"),
        ({"type": "friend_request", "actor": "bob"}, "Friend request from bob: T"),
        ({"type": "comment"}, '"tocsin-item-title">T</span>'),
        ({"type": "order", "data": {"order_id": "A-1"}}, "Order #A-1: T"),
        (
            {"type": "payment", "body": "Card", "data": {"amount": "9.50", "currency": "EUR"}},
            '"tocsin-item-body">Card · 9.50 EUR</span>',
        ),
        (
            {"type": "security", "data": {"ip": "203.0.113.9"}},
            '"tocsin-item-body">From 203.0.113.9</span>',
        ),
        (
            {"type": "system", "body": "B"},
            '"tocsin-item-title">T</span> <span class="tocsin-item-body">B</span>',
        ),
        ({"type": "comment", "actor": "<b>x</b>", "data": {}}, "&lt;b&gt;x&lt;/b&gt; commented: T"),
        ({"type": "order", "data": {"order_id": "<i>"}}, "Order #&lt;i&gt;: T"),
    ],
)
def test_built_in_texts(app, ctx, fields, text):
    n = service.create(db.session, user_id("alice"), title="T", **fields)
    assert text in render("tocsin/_item.html", n)
    assert text in render("tocsin/_toast.html", n)
