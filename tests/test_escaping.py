"""Every field of every type is text on every surface: panel, inbox, push, toast, snapshot.

One notification per type in the catalog, plus a host type with no template of its own
(it renders with ``_default.html``) and with action buttons, carries markup in each
field. A real server renders it on each surface; each item must show every field it
displays as literal text and hold no element or event handler the markup tried to add.
"""

import atexit
import threading
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app import create_app, users
from tests.conftest import POSTGRES_SCHEMA, POSTGRES_URL, postgres_url
from tests.support import HttpSession, recv_until
from tocsin import broker, state
from tocsin.extensions import db
from tocsin.notifications import service
from tocsin.notifications.types import NOTIFICATION_TYPES, Action, NotificationType, catalog

#: A host's type without a template of its own, and with actions whose labels have markup.
HOST_TYPE = "invoice"
TYPES = [*sorted(NOTIFICATION_TYPES), HOST_TYPE]
ACTION_TYPES = {"friend_request", HOST_TYPE}
#: Types whose template shows the actor (the others leave it out).
ACTOR_TYPES = {"comment", "follow", "friend_request", "like", "mention", "message"}
#: Fields of `data` that a built-in type's template shows.
DATA_FIELDS = {"order": ["order_id"], "payment": ["amount", "currency"], "security": ["ip"]}


def payload(field: str) -> str:
    """Markup that breaks out of text and of quoted attributes, named for its field."""
    return f"\"'><img src=x onerror=alert('{field}')><x-{field}>{field}</x-{field}>"


URL = "/x?q=\"'><x-url>"
HOST_ACTION = Action("pay", payload("label"), style="primary", outcome=payload("outcome"))


class Fragment(HTMLParser):
    """Per item or toast root: its text, its attribute values and any injected markup."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.roots: dict[str, dict] = {}
        self.stack: list[str | None] = []
        self.feed(html)

    def _root(self) -> dict | None:
        owner = next((r for r in reversed(self.stack) if r), None)
        return self.roots.get(owner) if owner else None

    def handle_starttag(self, tag, attrs):
        element_id = dict(attrs).get("id") or ""
        is_root = element_id.startswith(("notification-", "toast-")) and element_id[-1].isdigit()
        if is_root:
            self.roots.setdefault(element_id, {"text": "", "attrs": [], "injected": []})
        if tag not in ("input", "img", "br", "meta", "link", "use"):
            self.stack.append(element_id if is_root else None)
        root = self._root() or (self.roots[element_id] if is_root else None)
        if root is None:
            return
        root["attrs"] += [(name, value or "") for name, value in attrs]
        if tag in ("img", "script") or tag.startswith("x-"):
            root["injected"].append(f"<{tag}>")
        root["injected"] += [f"{tag}[{name}]" for name, _ in attrs if name.startswith("on")]

    def handle_endtag(self, tag):
        if tag not in ("input", "img", "br", "meta", "link", "use") and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        root = self._root()
        if root is not None:
            root["text"] += data


def expected(type_: str, surface: str) -> dict[str, list[str]]:
    """What the item of `type_` shows on `surface`: as text, and inside attributes."""
    text = [payload("title"), payload("body")]
    attrs = [URL]
    if type_ in ACTOR_TYPES:
        text.append(payload("actor"))
    for key in DATA_FIELDS.get(type_, []):
        text.append(payload(key))
    if surface == "answered":
        if type_ == HOST_TYPE:
            text.append(payload("outcome"))
    elif type_ == HOST_TYPE and surface != "toast":
        text.append(payload("label"))
        attrs.append(payload("label"))  # the button's aria-label
    if type_ == "friend_request" and surface not in ("toast", "answered"):
        attrs.append(payload("actor"))  # "Accept friend request from <actor>"
    return {"text": text, "attrs": attrs}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def rendered(request, tmp_path_factory):
    """Publish one hostile notification per type and collect each surface's HTML."""
    tmp = tmp_path_factory.mktemp("escaping")
    if request.param == "postgresql":
        url = postgres_url(f"{POSTGRES_SCHEMA}_escaping", fresh=True)
    else:
        url = f"sqlite:///{tmp / 'test.sqlite3'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOCSIN_INSTANCE_PATH", str(tmp))
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    types = catalog(app)
    types.add(NotificationType(HOST_TYPE, "order", "Invoice", actions=(HOST_ACTION,)))
    types.route_actions(HOST_TYPE, "pages.answer_friend_request")
    with app.app_context():
        db.drop_all()
        db.create_all()
        alice = users.create(db.session, "alice", "tocsin").id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield collect(app, alice, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        # This module-scoped app outlives conftest's per-test flusher guard: no flush
        # thread or exit hook may outlive the database dropped here.
        flusher = state.of(app).analytics_flusher
        if flusher is not None:
            flusher.stop()
            atexit.unregister(flusher.flush_at_exit)
        with app.app_context():
            broker.current().stop()
            db.drop_all()
            db.engine.dispose()
        if request.param == "postgresql":
            engine = sa.create_engine(POSTGRES_URL)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {POSTGRES_SCHEMA}_escaping CASCADE"))
            engine.dispose()


def collect(app, alice: int, base: str) -> dict[str, dict[str, Fragment]]:
    browser = HttpSession(base).login("alice")
    surfaces: dict[str, dict[str, Fragment]] = {"push": {}, "read": {}, "push-read": {}}
    ids = {}
    with browser.websocket() as ws:
        recv_until(ws, lambda m: 'id="notification-list"' in m[-1])  # the snapshot
        for type_ in TYPES:
            with app.app_context():
                nid = service.create(
                    db.session,
                    alice,
                    type=type_,
                    title=payload("title"),
                    body=payload("body"),
                    actor=payload("actor"),
                    url=URL,
                    priority="high",
                    data={key: payload(key) for key in ("order_id", "amount", "currency", "ip")},
                ).id
            ids[type_] = nid
            pushed = recv_until(ws, lambda m, n=nid: f'id="notification-{n}"' in m[-1])[-1]
            surfaces["push"][type_] = Fragment(pushed)
        _, panel, _ = browser.get("/notifications/panel")
        _, inbox, _ = browser.get("/notifications")
        with browser.websocket() as again:
            snapshot = recv_until(again, lambda m: 'id="notification-list"' in m[-1])[-1]
        for type_, nid in ids.items():
            status, html, _ = browser.post(
                f"/notifications/{nid}/read", headers={"HX-Request": "true"}
            )
            assert status == 200
            surfaces["read"][type_] = Fragment(html)
            pushed = recv_until(ws, lambda m, n=nid: f'id="notification-{n}"' in m[-1])[-1]
            surfaces["push-read"][type_] = Fragment(pushed)
    answered = {}
    for type_ in sorted(ACTION_TYPES):
        action = "pay" if type_ == HOST_TYPE else "accept"
        path = f"/friend-requests/{ids[type_]}/{action}"
        status, html, _ = browser.post(path, headers={"HX-Request": "true"})
        assert status == 200, html
        answered[type_] = Fragment(html)
    whole = {"panel": Fragment(panel), "inbox": Fragment(inbox), "snapshot": Fragment(snapshot)}
    for name, fragment in whole.items():
        surfaces[name] = dict.fromkeys(TYPES, fragment)
    surfaces["toast"] = surfaces["push"]
    surfaces["answered"] = answered
    return {"ids": ids, **surfaces}


SURFACES = ["panel", "inbox", "snapshot", "push", "toast", "read", "push-read"]
CASES = [(s, t) for s in SURFACES for t in TYPES] + [("answered", t) for t in sorted(ACTION_TYPES)]


@pytest.mark.parametrize(("surface", "type_"), CASES)
def test_every_field_is_text(rendered, surface, type_):
    nid = rendered["ids"][type_]
    root_id = f"toast-{nid}" if surface == "toast" else f"notification-{nid}"
    root = rendered[surface][type_].roots.get(root_id)
    assert root is not None, f"{root_id} not rendered on {surface}"
    assert root["injected"] == [], f"{type_} on {surface}: markup became HTML"
    want = expected(type_, surface)
    for value in want["text"]:
        assert value in root["text"], f"{type_} on {surface}: {value!r} not shown as text"
    values = [v for _, v in root["attrs"]]
    for value in want["attrs"]:
        assert any(value in v for v in values), (
            f"{type_} on {surface}: {value!r} not in an attribute"
        )
