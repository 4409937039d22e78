"""Cap request bodies on Tocsin's routes, chunked ones included.

Werkzeug enforces ``request.max_content_length`` against a Content-Length header, but a
chunked body (no Content-Length) is read through a stream that stops at the limit and
reports nothing: a 200 KB chunked publish was cut to 64 KiB, parsed and answered 201.
So a chunked body is read here, before any handler or CSRF check parses it, up to one
byte past the limit: 413 if that byte exists, else the whole body is kept for the view.
"""

from collections.abc import Iterable
from io import BytesIO

from flask import Flask, request, request_started
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

from . import state

#: Bytes read from the client per call while buffering a chunked body.
READ_SIZE = 64 * 1024


def cover(app: Flask, blueprints: Iterable[str], setting: str = "TOCSIN_FORM_MAX_BODY") -> None:
    """Cap bodies sent to these blueprints' routes at the config value `setting`, in bytes."""
    limits = state.of(app).body_limits
    if not limits:
        # request_started runs before every before_request hook, Flask-WTF's CSRF check
        # (which parses the form) included, wherever the host registered it.
        request_started.connect(_cap, app)
    limits.update(dict.fromkeys(blueprints, setting))


def _cap(app: Flask, **_) -> None:
    setting = state.of(app).body_limits.get(request.blueprint or "")
    if setting is None:
        return  # a host's own route: its own MAX_CONTENT_LENGTH applies
    limit = app.config[setting]
    if request.max_content_length is not None:
        limit = min(limit, request.max_content_length)
    request.max_content_length = limit
    environ = request.environ
    streamed = get_content_length(environ) is None and environ.get("wsgi.input_terminated")
    if streamed and environ.get("HTTP_TRANSFER_ENCODING"):
        environ["wsgi.input"] = BytesIO(_read_at_most(environ["wsgi.input"], limit))


def _read_at_most(stream, limit: int) -> bytes:
    """Return the rest of `stream`; raise 413 if it holds more than `limit` bytes."""
    body = bytearray()
    while len(body) <= limit:
        chunk = stream.read(min(READ_SIZE, limit + 1 - len(body)))
        if not chunk:
            return bytes(body)
        body += chunk
    raise RequestEntityTooLarge()
