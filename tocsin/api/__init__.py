"""The HTTP API for other services: bearer tokens, JSON in and out, an OpenAPI document."""

from flask import Flask

from . import errors
from .views import bp


def init_app(app: Flask) -> None:
    """Register the API; it authenticates by token, so CSRF (a cookie defence) stays off it."""
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
    errors.init_app(app)
    app.register_blueprint(bp)
