"""/healthz tells an anonymous caller only ok or not; the details need a setting."""

from app import create_app


def test_healthz_says_only_ok_by_default(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_healthz_details_behind_the_setting(app, client):
    app.config["TOCSIN_HEALTHZ_DETAILS"] = True
    body = client.get("/healthz").json
    assert body["status"] == body["database"] == "ok"
    assert body["connections"] == 0 and "state" in body["broker"]


def test_healthz_without_a_database_is_a_bare_503(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    # Port 1: nothing listens, so every connection attempt fails at once.
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "error"}
