"""Rate limits with Flask-Limiter: failed logins per name and per client, API calls per token,
seen batches per user.

Counted in Redis when TOCSIN_REDIS_URL is set, so a limit holds across processes and
machines, and in memory otherwise (the embedded set-up). Should Redis fail, each
process counts in memory meanwhile rather than refusing every login.
"""

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request
from flask_limiter import HeaderNames, Limiter
from flask_login import current_user

from . import state

#: The API's endpoints not limited: the OpenAPI document needs no token.
UNLIMITED = {"tocsin_api.document"}
#: The limiter's own seconds-until-reset header; copied to Retry-After on a 429 only.
LIMIT_RETRY_AFTER = "X-RateLimit-Retry-After"


def init_app(app: Flask) -> None:
    """Give `app` a limiter of its own (settings differ between apps in one process)."""
    config = app.config
    # Flask-Limiter sets Retry-After on every limited response, a 503's included (whose
    # 1-5 s became the window's 60 s): it writes its own header, and 429s alone get it.
    # Registered before the limiter's hook, so it runs after it.
    app.after_request(_retry_after_on_429)
    limiter = Limiter(
        client_address,
        storage_uri=config["TOCSIN_REDIS_URL"] or "memory://",
        key_prefix=f"{config['TOCSIN_REDIS_CHANNEL_PREFIX']}:limits",
        headers_enabled=True,
        header_name_mapping={HeaderNames.RETRY_AFTER: LIMIT_RETRY_AFTER},
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.init_app(app)
    state.of(app).limiter = limiter


def limit_login(app: Flask, endpoint: str, on_breach: Callable) -> None:
    """Limit failed POSTs to the login view `endpoint`, per user name and per client."""
    limiter = _limiter(app)
    # Any: flask-limiter's decorators are typed for async views too; these are sync.
    view: Any = app.view_functions[endpoint]
    for setting, key, scope in (
        ("TOCSIN_LOGIN_RATE_LIMIT", _username, "name"),
        ("TOCSIN_LOGIN_CLIENT_RATE_LIMIT", client_address, "client"),
    ):
        if app.config[setting]:
            # Checked before every attempt, counted only after a failed one (401): the
            # right password is refused while the limit holds, a normal login costs nothing.
            view = limiter.limit(
                app.config[setting],
                key_func=key,
                scope=scope,
                methods=["POST"],
                deduct_when=lambda response: response.status_code == 401,
                on_breach=on_breach,
            )(view)
    app.view_functions[endpoint] = view


def limit_api(app: Flask, blueprint: str) -> None:
    """Limit requests to every route of `blueprint` per API token, all routes together."""
    value = app.config["TOCSIN_API_RATE_LIMIT"]
    if not value:
        return
    limiter = _limiter(app)
    # The views run after the blueprint's before_request has checked the token.
    per_token = limiter.shared_limit(
        value,
        scope="api",
        key_func=lambda: f"token:{g.tocsin_token_id}",
        error_message=f"too many requests for this token: at most {value}",
    )
    views: dict[str, Any] = app.view_functions  # as above: sync views, async-aware types
    for endpoint, view in list(views.items()):
        if endpoint.startswith(f"{blueprint}.") and endpoint not in UNLIMITED:
            views[endpoint] = per_token(view)


def limit_per_user(app: Flask, endpoint: str, setting: str) -> None:
    """Limit POSTs to `endpoint` per logged-in user, as the setting `setting` says ("": none)."""
    value = app.config[setting]
    if not value:
        return
    view: Any = app.view_functions[endpoint]  # as above: sync views, async-aware types
    app.view_functions[endpoint] = _limiter(app).limit(
        value,
        key_func=lambda: f"user:{current_user.get_id()}",
        scope=endpoint,
        methods=["POST"],
        error_message=f"too many requests: at most {value}",
    )(view)


def _limiter(app: Flask) -> Limiter:
    limiter = state.of(app).limiter
    if limiter is None:
        raise RuntimeError("set Tocsin up on the app (Tocsin.init_app) before limiting views")
    return limiter


def client_address() -> str:
    """Return the client's address: the proxy's last X-Forwarded-For hop if it is trusted."""
    peer = request.remote_addr or ""
    trusted = current_app.config["TOCSIN_FORWARDED_ALLOW_IPS"]
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and ("*" in trusted or peer in trusted):
        return request.access_route[-1]  # what the proxy itself saw; earlier hops can be forged
    return peer


def _username() -> str:
    return "name:" + request.form.get("username", "")[:80]


def _retry_after_on_429(response):
    if response.status_code == 429 and LIMIT_RETRY_AFTER in response.headers:
        response.headers["Retry-After"] = response.headers[LIMIT_RETRY_AFTER]
    return response
