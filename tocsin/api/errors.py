"""JSON errors for the HTTP API: ``{"error": message, "field": name or null, ...}``."""

from typing import Any

from flask import Flask, current_app, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from .. import unavailable


def error(status: int, message: str, field: str | None = None, **extra) -> Response:
    response = jsonify({"error": message, "field": field, **extra})
    response.status_code = status
    return response


def http_error(exc: HTTPException) -> Response:
    """Render Flask's own errors (400, 404, 405, 413, ...) as JSON, keeping their headers."""
    response = error(exc.code or 500, exc.description or exc.name)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def internal_error(exc: InternalServerError) -> Response:
    return error(500, "internal server error")


def database_error(exc: Exception) -> Response:
    """503 with Retry-After when the database is locked or down; nothing was written."""
    if not unavailable.is_outage(exc):
        raise exc  # a bug: the 500 handler answers it
    unavailable.note(exc)
    seconds = unavailable.retry_after()
    response = error(
        503, f"the database is busy or unreachable; nothing was saved, retry in {seconds} s"
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def unauthorized() -> Response:
    """The one answer to a missing, malformed, unknown or revoked token."""
    response = error(401, "a valid bearer token is required")
    response.headers["WWW-Authenticate"] = 'Bearer realm="tocsin"'
    return response


def invalid(exc: ValidationError) -> Response:
    """422 naming the first field at fault, with every problem listed."""
    problems: dict[tuple, list[str]] = {}
    for item in exc.errors(include_url=False, include_input=False):
        message = item["msg"].removeprefix("Value error, ")
        problems.setdefault(_path(item["loc"]), []).append(message)
    listed: list[dict[str, Any]] = [
        {"field": ".".join(map(str, path)) or None, "message": _either(msgs)}
        for path, msgs in problems.items()
    ]
    first, field = listed[0], next(iter(problems))[:1]
    message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    # "field" is the top-level field; each entry of "errors" names the exact place.
    return error(422, message, str(field[0]) if field else None, errors=listed)


def _either(messages: list[str]) -> str:
    """Join a union's complaints: "Input should be a valid integer or a valid string"."""
    messages = list(dict.fromkeys(messages))
    lead = "Input should be "
    if len(messages) > 1 and all(m.startswith(lead) for m in messages):
        return lead + " or ".join(m.removeprefix(lead) for m in messages)
    return " or ".join(messages)


def too_large(exc: HTTPException) -> Response:
    limit = current_app.config["TOCSIN_API_MAX_BODY"]
    return error(413, f"the request body must be at most {limit} bytes")


def _path(loc: tuple) -> tuple:
    # A union reports each of its members under a tag after the index ("recipients.3.int");
    # one entry per item reads better.
    path: list = []
    for part in loc:
        if isinstance(part, str) and path and isinstance(path[-1], int):
            continue
        path.append(part)
    return tuple(path)


def route_errors_as_json() -> Response | None:
    """Answer an unmatched API path with JSON: no blueprint handler sees routing errors."""
    exc = request.routing_exception
    if not isinstance(exc, HTTPException):
        return None
    # Under the API's prefix, errors are JSON even when no route matched (404, 405).
    prefix = current_app.config["TOCSIN_API_PREFIX"] + "/"
    if (exc.code or 0) >= 400 and request.path.startswith(prefix):
        return http_error(exc)
    return None


def init_app(app: Flask) -> None:
    app.before_request(route_errors_as_json)
