"""docs/examples/host_app.py, the embedding guide's host app, served for real: a live push."""

import importlib.util
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.support import CSRF_RE, ROOT, ClientModel, HttpSession


@pytest.fixture
def host_app(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    spec = importlib.util.spec_from_file_location(
        "host_app", ROOT / "docs" / "examples" / "host_app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'host.sqlite3'}",
            "SECRET_KEY": "host-secret",
        }
    )
    with app.app_context():
        module.db.create_all()  # the host's own tables, its own way
        module.add_member("buyer@example.com", "buyer-pw")
        module.add_member("seller@example.com", "seller-pw")
    result = app.test_cli_runner().invoke(args=["tocsin", "init"])
    assert result.exit_code == 0, result.output
    yield app, module
    with app.app_context():
        module.db.engine.dispose()


@pytest.fixture
def served(host_app):
    app, _ = host_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def log_in(base: str, email: str, password: str) -> HttpSession:
    session = HttpSession(base)
    _, page, _ = session.get("/login")
    session.csrf = CSRF_RE.search(page).group(1)
    status, _, _ = session.post("/login", {"email": email, "password": password})
    assert status == 303
    _, page, _ = session.get("/")
    session.csrf = CSRF_RE.search(page).group(1) if CSRF_RE.search(page) else session.csrf
    return session


def test_tocsin_keeps_to_its_own_tables(host_app):
    app, module = host_app
    with app.app_context():
        tables = set(sa.inspect(module.db.engine).get_table_names())
    assert "members" in tables and "tocsin_alembic_version" in tables
    assert {"tocsin_notifications", "tocsin_unread_counters"} <= tables
    assert "alembic_version" not in tables  # the host's own Alembic would use that one
    assert "tocsin_users" not in tables  # Tocsin keeps no users: the host's are its own


def test_host_page_has_the_bell_and_assets(served):
    buyer = log_in(served, "buyer@example.com", "buyer-pw")
    status, page, _ = buyer.get("/")
    assert status == 200 and 'id="notification-bell"' in page and 'data-count="0"' in page
    assert "/tocsin/static/vendor/htmx.min.js" in page
    assert buyer.get("/tocsin/static/vendor/htmx.min.js")[0] == 200


def test_a_view_of_the_host_pushes_live_to_the_recipient(served):
    buyer = log_in(served, "buyer@example.com", "buyer-pw")
    seller = log_in(served, "seller@example.com", "seller-pw")
    with buyer.websocket() as ws_buyer, seller.websocket() as ws_seller:
        model = ClientModel()
        model.read(ws_buyer, lambda m: m.badge == 0)
        ClientModel().read(ws_seller, lambda m: m.badge == 0)
        status, _, _ = seller.post("/orders/7/ship", {"buyer": "buyer@example.com"})
        assert status == 204
        model.read(ws_buyer, lambda m: len(m.ids) == 1 and m.badge == 1)
        status, panel, _ = buyer.get("/notifications/panel")
        assert status == 200 and "Order #7 has shipped" in panel
        with pytest.raises(TimeoutError):
            ws_seller.recv(timeout=0.5)  # the seller gets none of the buyer's notifications


def test_inbox_page_renders_in_the_default_layout(served):
    buyer = log_in(served, "buyer@example.com", "buyer-pw")
    status, page, _ = buyer.get("/notifications")
    assert status == 200 and 'id="notification-list"' in page and "<title>Notifications" in page
