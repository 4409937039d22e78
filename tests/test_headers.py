"""Security headers: on pages, fragments, static files and the JSON API; the host's kept."""

import pytest
from flask import Blueprint, Flask
from flask_login import LoginManager

from app import create_app
from tocsin import Tocsin, headers

CSP = "Content-Security-Policy"


def directives(value: str) -> dict[str, list[str]]:
    parts = (d.split() for d in value.split(";") if d.strip())
    return {name: sources for name, *sources in parts}


def assert_secured(response, host: str = "localhost") -> dict[str, list[str]]:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = directives(response.headers[CSP])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", f"ws://{host}"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert not any("unsafe" in s for sources in policy.values() for s in sources)
    return policy


@pytest.mark.parametrize("path", ["/login", "/healthz", "/tocsin/static/tocsin/tocsin.js"])
def test_public_responses_have_the_headers(client, path):
    assert_secured(client.get(path))


@pytest.mark.parametrize(
    "path", ["/", "/notifications", "/notifications/panel", "/notifications/bell"]
)
def test_pages_and_fragments_have_the_headers(client, auth, path):
    auth.login()
    response = client.get(path)
    assert response.status_code == 200
    assert_secured(response)


def test_errors_and_redirects_have_the_headers(client, auth):
    assert_secured(client.get("/notifications"))  # 302 to the login page
    auth.login()
    assert_secured(client.get("/notifications/panel?before=x"))  # 400
    assert_secured(client.post("/notifications/read-all"))  # 400: no CSRF token


def test_api_json_responses_have_the_headers(api):
    created = api.publish()
    assert created.status_code == 201
    assert_secured(created)
    assert_secured(api.get("/api/v1/notifications?user=alice"))
    denied = api.client.get("/api/v1/notifications?user=alice")  # no token
    assert denied.status_code == 401 and denied.is_json
    assert_secured(denied)
    assert_secured(api.client.get("/api/openapi.json"))


def test_the_socket_origin_follows_host_and_scheme(client):
    secure = client.get("/login", base_url="https://tocsin.example:8443")
    assert directives(secure.headers[CSP])["connect-src"] == ["'self'", "wss://tocsin.example:8443"]


def test_a_strange_host_header_is_not_written_into_the_policy(client):
    response = client.get("/login", headers={"Host": "evil;script-src *"})
    assert directives(response.headers[CSP])["connect-src"] == ["'self'"]
    assert "*" not in response.headers[CSP]


@pytest.fixture
def settings(app):
    def settings(**values):
        app.config.update(values)
        return app.test_client()

    return settings


def test_frame_ancestors_setting(settings):
    client = settings(TOCSIN_FRAME_ANCESTORS="'self' https://portal.example")
    response = client.get("/login")
    policy = directives(response.headers[CSP])
    assert policy["frame-ancestors"] == ["'self'", "https://portal.example"]
    assert "X-Frame-Options" not in response.headers  # it can't name a list of hosts


def test_csp_off_keeps_the_other_headers(settings):
    response = settings(TOCSIN_CSP=False).get("/login")
    assert CSP not in response.headers and "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_all_headers_off(settings):
    response = settings(TOCSIN_SECURITY_HEADERS="off").get("/login")
    assert not {CSP, "X-Content-Type-Options", "Referrer-Policy"} & set(response.headers)


def test_standalone_app_defaults_to_every_response(monkeypatch, tmp_path):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TOCSIN_SECURITY_HEADERS", raising=False)
    assert create_app({"SECRET_KEY": "x"}).config["TOCSIN_SECURITY_HEADERS"] == "all"
    monkeypatch.setenv("TOCSIN_SECURITY_HEADERS", "tocsin")
    assert create_app({"SECRET_KEY": "x"}).config["TOCSIN_SECURITY_HEADERS"] == "tocsin"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECURITY_HEADERS", "everything"),
        ("FRAME_ANCESTORS", "'self'; script-src *"),
        ("REFERRER_POLICY", "same-origin\nX-Evil: 1"),
    ],
)
def test_a_bad_setting_is_refused_at_start(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv(f"TOCSIN_{name}", value)
    with pytest.raises(ValueError, match=f"TOCSIN_{name}"):
        create_app({"SECRET_KEY": "x"})


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host app with a page of its own and one that sets its own policy."""
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TOCSIN_SECURITY_HEADERS", raising=False)
    app = Flask("host")
    app.config.update(
        SECRET_KEY="host", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'host.sqlite3'}"
    )
    LoginManager(app).user_loader(lambda _: None)
    own = Blueprint("host", __name__)

    @own.get("/home")
    def home():
        return "<script>hostInline()</script>"

    @own.get("/strict")
    def strict():
        return "ok", 200, {CSP: "default-src 'none'", "Referrer-Policy": "no-referrer"}

    app.register_blueprint(own)
    Tocsin(app)
    return app


def test_a_host_app_keeps_its_own_pages_and_gets_them_on_tocsins(host):
    client = host.test_client()
    home = client.get("/home")
    assert CSP not in home.headers and "X-Content-Type-Options" not in home.headers
    assert_secured(client.get("/tocsin/static/tocsin/tocsin.js"))
    assert_secured(client.get("/notifications/panel"))  # Flask-Login's 401, still Tocsin's
    assert_secured(client.get("/api/v1/notifications?user=1"))  # 401 JSON


def test_a_host_opts_in_for_every_page_and_keeps_its_own_policy(host):
    host.config["TOCSIN_SECURITY_HEADERS"] = "all"
    client = host.test_client()
    assert_secured(client.get("/home"))
    strict = client.get("/strict")
    assert strict.headers[CSP] == "default-src 'none'"
    assert strict.headers["Referrer-Policy"] == "no-referrer"
    assert strict.headers["X-Content-Type-Options"] == "nosniff"


def test_tocsin_blueprints_are_the_ones_it_registers(host):
    ours = {name for name in host.blueprints if name != "host"}
    assert ours == headers.TOCSIN_BLUEPRINTS
