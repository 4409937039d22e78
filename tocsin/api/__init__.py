"""The HTTP API for other services: bearer tokens, JSON in and out, an OpenAPI document."""

from flask import Flask

from . import errors
from .views import bp


def init_app(app: Flask, prefix: str = "/api") -> None:
    """Register the API at `prefix`; it authenticates by token, so CSRF stays off it."""
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
    errors.init_app(app)
    app.register_blueprint(bp, url_prefix=prefix)
