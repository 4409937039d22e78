"""Tocsin as a host app sets it up: settings, where it is mounted, no users, no demo pages."""

import pytest
from flask import Flask, render_template, url_for
from flask_login import LoginManager
from jinja2 import TemplateNotFound

from app import create_app
from tocsin import InvalidNotification, Tocsin, notify
from tocsin.extensions import db


def make_host(tmp_path, **options) -> Flask:
    """A bare host app: its own Flask and Flask-Login, Tocsin's database on a fresh file."""
    app = Flask("host", root_path=str(tmp_path))  # its own templates/ folder, empty
    app.config.update(
        SECRET_KEY="host", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'host.sqlite3'}"
    )
    LoginManager(app).user_loader(lambda _: None)
    Tocsin(app, **options)
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture(autouse=True)
def _no_tocsin_env(monkeypatch):
    for name in ("LAYOUT", "URL_PREFIX", "API_PREFIX", "HTTP_API", "SESSION_LIFETIME"):
        monkeypatch.delenv(f"TOCSIN_{name}", raising=False)


@pytest.mark.parametrize("name", ["base.html", "auth/login.html", "pages/index.html"])
def test_a_host_cannot_render_the_demo_apps_pages(tmp_path, name):
    app = make_host(tmp_path)
    with app.test_request_context(), pytest.raises(TemplateNotFound):
        render_template(name)


def test_environment_settings_apply_to_a_host_and_its_config_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_SESSION_LIFETIME", "600")
    monkeypatch.setenv("TOCSIN_PAGE_SIZE", "7")
    monkeypatch.setenv("TOCSIN_SECURE_COOKIES", "1")
    app = Flask("host", root_path=str(tmp_path))
    app.config.update(TOCSIN_PAGE_SIZE=5, SQLALCHEMY_DATABASE_URI="sqlite://")
    LoginManager(app)
    Tocsin(app)
    assert app.config["TOCSIN_SESSION_LIFETIME"] == 600
    assert app.config["TOCSIN_PAGE_SIZE"] == 5  # the host's own value
    # Flask's own settings stay the host's: only the standalone app reads these.
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_the_standalone_app_keeps_a_layout_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    assert create_app({"SECRET_KEY": "x"}).config["TOCSIN_LAYOUT"] == "base.html"
    monkeypatch.setenv("TOCSIN_LAYOUT", "mine.html")
    assert create_app({"SECRET_KEY": "x"}).config["TOCSIN_LAYOUT"] == "mine.html"


def test_url_prefix_moves_the_pages_and_socket_but_not_the_api(tmp_path):
    app = make_host(tmp_path, url_prefix="/alerts")
    client = app.test_client()
    assert client.get("/notifications/bell").status_code == 404
    assert client.get("/alerts/bell").status_code == 401  # there, and needs a login
    with app.test_request_context():
        assert url_for("tocsin_live.ws").endswith("/alerts/ws")
    assert client.get("/api/v1/notifications?user=1").status_code == 401


def test_api_prefix_moves_the_api_and_its_document(tmp_path):
    app = make_host(tmp_path, api_prefix="/alerts/api")
    client = app.test_client()
    assert client.get("/api/v1/notifications?user=1").status_code == 404
    assert client.get("/alerts/api/v1/notifications?user=1").status_code == 401
    assert client.get("/alerts/api/nowhere").is_json  # its errors are JSON there
    paths = client.get("/alerts/api/openapi.json").json["paths"]
    assert "/alerts/api/v1/notifications" in paths


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_http_api_can_be_turned_off(tmp_path, monkeypatch, how):
    if how == "environment":
        monkeypatch.setenv("TOCSIN_HTTP_API", "0")
    app = make_host(tmp_path, **({"http_api": False} if how == "option" else {}))
    assert "tocsin_api" not in app.blueprints
    client = app.test_client()
    assert client.get("/api/v1/notifications?user=1").status_code == 404
    assert client.get("/api/openapi.json").status_code == 404
    assert client.get("/notifications/bell").status_code == 401  # the rest is there


def test_without_a_directory_recipients_are_ids_and_a_name_is_unknown(tmp_path):
    app = make_host(tmp_path)
    with app.app_context():
        assert notify(42, "system", "By id").user_id == 42
        assert notify("id:43", "system", "By id string").user_id == 43
        with pytest.raises(InvalidNotification, match="unknown 'ben'"):
            notify("ben", "system", "By name")


def test_a_host_has_no_user_commands_and_recount_goes_by_user_id(tmp_path):
    app = make_host(tmp_path)
    with app.app_context():
        notify(42, "system", "One")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tocsin", "user", "list"])
    assert result.exit_code == 2 and "No such command 'user'" in result.output
    result = runner.invoke(args=["tocsin", "recount"])
    assert result.exit_code == 0 and result.output == "user 42: 1\n"
