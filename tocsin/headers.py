"""Security headers: a strict Content-Security-Policy, nosniff, a referrer policy.

The policy allows scripts, styles, images and connections from the page's own origin
only: no inline script or style, no eval (htmx is told not to need either by the
``htmx-config`` meta tag in ``_assets.html``). A header the response already has, set
by the host app or anything before this hook, is left as it is.

Which responses get them (``TOCSIN_SECURITY_HEADERS``): ``all`` in the standalone app,
which owns every page; in a host app ``tocsin``, only Tocsin's own routes (the inbox,
fragments, socket, API and static files), because a strict policy on the host's pages
would break any inline script they have. A host opts in with ``all``, or out with ``off``.
"""

import re

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

#: The blueprints whose responses are Tocsin's own (``tocsin`` scope).
TOCSIN_BLUEPRINTS = frozenset(
    {"tocsin", "tocsin_live", "tocsin_assets", "tocsin_api", "tocsin_push", "tocsin_email"}
    | {"tocsin_analytics", "tocsin_metrics", "tocsin_stream"}
)
SCOPES = ("all", "tocsin", "off")
#: A Host header fit to be named in the policy; anything else gets only 'self'.
_HOST_RE = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def policy(frame_ancestors: str) -> str:
    """Return the Content-Security-Policy for the current request."""
    # 'self' covers the page's own ws:/wss: origin in CSP Level 3 browsers (Chromium,
    # Firefox); naming it also satisfies older ones that match 'self' to http(s) only.
    connect = "'self'"
    if _HOST_RE.fullmatch(request.host):
        connect += f" {'wss' if request.is_secure else 'ws'}://{request.host}"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


def add_headers(response: Response) -> Response:
    """Add the security headers this response lacks, if its route is in scope."""
    config = current_app.config
    scope = config.get("TOCSIN_SECURITY_HEADERS") or "tocsin"
    if scope == "off" or (scope == "tocsin" and request.blueprint not in TOCSIN_BLUEPRINTS):
        return response
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", config["TOCSIN_REFERRER_POLICY"])
    host_csp = "Content-Security-Policy" in headers or (
        "Content-Security-Policy-Report-Only" in headers
    )
    if config["TOCSIN_CSP"] and not host_csp:
        frame_ancestors = config["TOCSIN_FRAME_ANCESTORS"]
        headers["Content-Security-Policy"] = policy(frame_ancestors)
        if frame_ancestors == "'none'":
            # For browsers without frame-ancestors; it can't express a list of hosts.
            headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    scope = app.config.get("TOCSIN_SECURITY_HEADERS") or "tocsin"
    if scope not in SCOPES:
        raise ValueError(f"TOCSIN_SECURITY_HEADERS={scope!r}: use one of {', '.join(SCOPES)}")
    for key in ("TOCSIN_FRAME_ANCESTORS", "TOCSIN_REFERRER_POLICY"):
        # A ";" would end the directive and start another of the setting's choosing.
        if not re.fullmatch(r"[^;,\x00-\x1f\x7f]+", app.config[key]):
            raise ValueError(f"{key}={app.config[key]!r}: no ';', ',' or control characters")
    app.after_request(add_headers)
