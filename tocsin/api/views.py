"""HTTP API routes: publish, list a user's notifications, mark one read, the OpenAPI document.

Every route but the document needs ``Authorization: Bearer <token>``; cookies and the
login session count for nothing here. A token is a trusted integration: it may publish
to, list and mark read for any user, always one user at a time (another user's
notification is a 404).
"""

import time

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import ValidationError
from pydantic_core import from_json
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)
from werkzeug.wrappers import Response

from .. import state, unavailable
from ..extensions import store
from ..models import MAX_ID
from ..notifications import queries
from ..notifications import service as notifications
from ..notifications.pipeline import UnknownRecipients
from ..notifications.validation import InvalidNotification
from . import errors, idempotency, openapi, service, tokens
from .schemas import (
    Created,
    NewNotification,
    Notification,
    NotificationPage,
    PageQuery,
    UserQuery,
)

bp = Blueprint("tocsin_api", __name__, url_prefix="/api")
bp.register_error_handler(HTTPException, errors.http_error)
bp.register_error_handler(RequestEntityTooLarge, errors.too_large)
bp.register_error_handler(InternalServerError, errors.internal_error)
bp.register_error_handler(ValidationError, errors.invalid)
for _error in unavailable.DATABASE_ERRORS:
    bp.register_error_handler(_error, errors.database_error)

#: How often a process deletes expired idempotency keys, in seconds.
PURGE_EVERY = 3600


@bp.before_request
def authenticate() -> Response | None:
    """Require a bearer token (the OpenAPI document is public); bodies.py caps the body."""
    if request.endpoint == "tocsin_api.document":
        return None
    g.tocsin_token_id = None
    token = tokens.authenticate(store.session, request.headers.get("Authorization"))
    if token is None:
        return errors.unauthorized()
    g.tocsin_token_id = token.id
    return None


@bp.get("/openapi.json")
def document():
    doc = openapi.document()
    # The document names the default prefix; the app may mount the API elsewhere.
    prefix = current_app.config["TOCSIN_API_PREFIX"]
    doc["paths"] = {prefix + path.removeprefix("/api"): op for path, op in doc["paths"].items()}
    return jsonify(doc)


@bp.post("/v1/notifications")
def create():
    key = request.headers.get(idempotency.HEADER)
    if key is not None and not idempotency.valid_key(key):
        return errors.error(
            422, "Idempotency-Key: 1-255 printable ASCII characters", idempotency.HEADER
        )
    body = _json_body()
    new = NewNotification.model_validate(body)
    ttl = current_app.config["TOCSIN_IDEMPOTENCY_TTL"]
    if key is not None:
        _purge_now_and_then(ttl)
    try:
        outcome = service.create(
            store.session, g.tocsin_token_id, new, key, idempotency.request_hash(body), ttl
        )
    except UnknownRecipients as exc:
        return errors.error(
            422, f"recipients: {len(exc.unknown)} unknown", "recipients", unknown=exc.unknown
        )
    except InvalidNotification as exc:
        field, _, message = str(exc).partition(": ")
        return errors.error(422, str(exc), field if message else None)
    except idempotency.KeyReused:
        return errors.error(
            422, "Idempotency-Key: already used with a different body", idempotency.HEADER
        )
    response = jsonify(Created.model_validate(outcome.body).model_dump())
    response.status_code = outcome.status
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/v1/notifications")
def page():
    query = PageQuery.model_validate(request.args.to_dict())
    user_id = _user_id(query.user)
    if user_id is None:
        return errors.error(404, "user: no such user", "user")
    found = queries.page(store.session, user_id, query.before, query.limit)
    return jsonify(
        NotificationPage(
            items=[Notification.model_validate(n) for n in found.items],
            next_before=found.next_before,
            unread=queries.unread_count(store.session, user_id),
        ).model_dump(mode="json")
    )


@bp.post(f"/v1/notifications/<int(min=1, max={MAX_ID}):notification_id>/read")
def read(notification_id: int):
    query = UserQuery.model_validate(request.args.to_dict())
    user_id = _user_id(query.user)
    if user_id is None:
        return errors.error(404, "user: no such user", "user")
    try:
        notification = notifications.mark_read(store.session, user_id, notification_id)
    except notifications.NotificationNotFound:
        return errors.error(404, "no such notification for this user")
    return jsonify(Notification.model_validate(notification).model_dump(mode="json"))


def _json_body() -> object:
    """Return the parsed JSON body; 415 if it is not JSON, 400 if it does not parse."""
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    raw = request.get_data(cache=False)  # 413 past TOCSIN_API_MAX_BODY
    try:
        return from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None


def _user_id(user: str) -> int | None:
    try:
        return service.user_id(store.session, user)
    except service.UnknownUser:
        return None


def _purge_now_and_then(ttl: int) -> None:
    tocsin = state.current()
    if time.monotonic() - tocsin.idempotency_purged_at >= PURGE_EVERY:
        tocsin.idempotency_purged_at = time.monotonic()
        idempotency.purge_expired(store.session, ttl)
