from tests.support import CSRF_RE


def test_login_page_has_csrf_field(client):
    page = client.get("/login").text
    assert CSRF_RE.search(page)
    assert 'name="username"' in page and 'name="password"' in page


def test_login_and_logout(client, auth):
    response = auth.login()
    assert response.status_code == 303 and response.location == "/"
    assert "Welcome, alice" in client.get("/").text
    response = auth.post("/logout")
    assert response.status_code == 303
    assert client.get("/").status_code == 302  # back to the login page


def test_wrong_password_is_refused(client, auth):
    response = auth.login(password="nope")
    assert response.status_code == 401
    assert "wrong password" in response.text
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "alice", "password": "tocsin"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_passwords_are_hashed(app):
    from app.models import User
    from tocsin.extensions import db

    with app.app_context():
        stored = db.session.scalar(db.select(User.password_hash).where(User.username == "alice"))
    assert "tocsin" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_next_must_stay_on_site(client):
    token = CSRF_RE.search(client.get("/login").text).group(1)
    form = {"username": "alice", "password": "tocsin", "csrf_token": token}
    response = client.post("/login?next=https://evil.example/", data=form)
    assert response.location == "/"
    client.post("/logout")


def test_logout_is_post_only(client, auth):
    auth.login()
    assert client.get("/logout").status_code == 405


def test_pages_need_login(client):
    for path in ("/", "/notifications", "/notifications/panel", "/notifications/bell"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location
