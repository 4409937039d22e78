"""The standalone app's /favicon.ico: the bell, cached, no login needed (app/pages.py)."""

from app.pages import FAVICON_MAX_AGE


def test_favicon_is_the_bell_icon_cached_for_a_week(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert response.cache_control.max_age == FAVICON_MAX_AGE
    assert response.headers.get("ETag")


def test_pages_name_the_svg_icon(client, auth):
    auth.login()
    page = client.get("/").text
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert client.get("/static/favicon.svg").mimetype == "image/svg+xml"
