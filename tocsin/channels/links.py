"""Absolute links for emails, built by a worker that has no request to take a host from.

The site's address is TOCSIN_BASE_URL (``https://tocsin.example.com``, a path prefix
too); unset, Flask's SERVER_NAME with PREFERRED_URL_SCHEME; unset too, the demo's
``http://127.0.0.1:5000`` (what `make run` serves).
"""

from urllib.parse import urljoin, urlsplit

from flask import current_app

from ..notifications.links import safe_link

DEMO_BASE = "http://127.0.0.1:5000"


def base_url() -> str:
    """The site's address as users reach it, without a trailing slash."""
    config = current_app.config
    if config.get("TOCSIN_BASE_URL"):
        return str(config["TOCSIN_BASE_URL"]).rstrip("/")
    if config.get("SERVER_NAME"):
        root = (config.get("APPLICATION_ROOT") or "/").rstrip("/")
        return f"{config['PREFERRED_URL_SCHEME']}://{config['SERVER_NAME']}{root}"
    return DEMO_BASE


def external(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint`, as url_for would build it in a request to base_url()."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def notification_link(url: str | None) -> str:
    """Where an email's link to a notification goes: its own URL (a path becomes absolute
    on base_url()), else the inbox."""
    link = safe_link(url)
    if link is None:
        return external("tocsin.inbox")
    return urljoin(base_url() + "/", link) if link.startswith("/") else link
