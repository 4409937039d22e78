"""Body caps hold to the byte, for chunked bodies as for announced ones."""

import io
import json

import pytest

URL = "/api/v1/notifications"


def chunked(client, path: str, body: bytes, headers: dict):
    """POST as a WSGI server passes a chunked body on: no Content-Length, a terminated stream."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked", **headers},
        environ_overrides={"wsgi.input_terminated": True},
    )


def padded(size: int) -> bytes:
    body = json.dumps({"recipients": ["alice"], "type": "comment", "title": "Hi"}).encode()
    return body + b" " * (size - len(body))


def test_chunked_api_body_is_capped_to_the_byte(app, api):
    limit = app.config["TOCSIN_API_MAX_BODY"]
    headers = api.headers({"Content-Type": "application/json"})
    assert chunked(api.client, URL, padded(limit + 1), headers).status_code == 413
    assert chunked(api.client, URL, padded(limit), headers).status_code == 201


def test_announced_api_body_over_the_limit_is_a_413(app, api):
    limit = app.config["TOCSIN_API_MAX_BODY"]
    headers = api.headers({"Content-Type": "application/json"})
    response = api.client.post(URL, data=padded(limit + 1), headers=headers)
    assert response.status_code == 413 and "at most" in response.json["error"]


@pytest.mark.parametrize("send", ["chunked", "announced"])
def test_form_bodies_are_capped(app, client, auth, send):
    auth.login()
    limit = app.config["TOCSIN_FORM_MAX_BODY"]
    form = b"up_to=1&pad=" + b"x" * limit
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for path in ("/notifications/read-all", "/login"):
        if send == "chunked":
            response = chunked(client, path, form, headers)
        else:
            response = client.post(path, data=form, headers=headers)
        assert response.status_code == 413, path


def test_a_smaller_host_limit_wins(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert chunked(client, "/login", b"username=" + b"x" * 200, headers).status_code == 413
