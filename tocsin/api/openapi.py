"""The OpenAPI 3.1 document, built from the pydantic models that validate the requests."""

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from ..notifications.types import catalog
from . import idempotency
from .schemas import (
    Created,
    Error,
    Id,
    NewNotification,
    Notification,
    NotificationPage,
    PageQuery,
    UserQuery,
)

REF = "#/components/schemas/{model}"
MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (NewNotification, "validation"),
    (Created, "serialization"),
    (Notification, "serialization"),
    (NotificationPage, "serialization"),
    (Error, "serialization"),
]


def document() -> dict:
    """Return the API description for the current app (its own notification types)."""
    _, top = models_json_schema(MODELS, ref_template=REF)
    schemas = top["$defs"]
    schemas["NewNotification"]["properties"]["type"]["enum"] = list(catalog())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tocsin notifications API",
            "version": "1",
            "description": (
                "Publish notifications from other services. A bearer token (`flask tocsin "
                "token create NAME`) acts for any user, one user per request."
            ),
        },
        "paths": {
            "/api/v1/notifications": {
                "post": {
                    "operationId": "publish",
                    "summary": "Notify one or many users",
                    "parameters": [_idempotency_key()],
                    "requestBody": {"required": True, "content": _json("NewNotification")},
                    "responses": _responses(
                        {"201": "Created; a replay of an earlier key answers the same"},
                        "Created",
                        400,
                        401,
                        413,
                        415,
                        422,
                        429,
                    ),
                },
                "get": {
                    "operationId": "list",
                    "summary": "A user's notifications, newest first",
                    "parameters": _query(PageQuery),
                    "responses": _responses(
                        {"200": "A page"}, "NotificationPage", 401, 404, 422, 429
                    ),
                },
            },
            "/api/v1/notifications/{id}/read": {
                "post": {
                    "operationId": "markRead",
                    "summary": "Mark one of the user's notifications read",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": TypeAdapter(Id).json_schema(),
                        },
                        *_query(UserQuery),
                    ],
                    "responses": _responses(
                        {"200": "The notification, read"}, "Notification", 401, 404, 422, 429
                    ),
                },
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


ERRORS = {
    400: "Malformed JSON",
    401: "Missing, malformed, unknown or revoked token",
    404: "No such user, or no such notification for that user",
    413: "Body over the size limit (64 KiB by default)",
    415: "Body not sent as application/json",
    422: "Invalid input: `field` names the field",
    429: "Too many requests for this token (TOCSIN_API_RATE_LIMIT, 600 a minute by default)",
}


RETRY_AFTER = {
    "description": "Seconds until the token may send again",
    "schema": {"type": "integer", "minimum": 0},
}


#: Every operation's answer when the database is locked past its timeout or unreachable.
UNAVAILABLE = {
    "description": "Database busy or unreachable: nothing was saved; retry after Retry-After",
    "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
}


def _json(model: str) -> dict:
    return {"application/json": {"schema": {"$ref": REF.format(model=model)}}}


def _responses(success: dict, model: str, *codes: int) -> dict:
    ((status, description),) = success.items()
    responses = {status: {"description": description, "content": _json(model)}}
    for code in codes:
        responses[str(code)] = {"description": ERRORS[code], "content": _json("Error")}
    responses["503"] = UNAVAILABLE  # any call can meet a locked or unreachable database
    if "429" in responses:
        responses["429"]["headers"] = {"Retry-After": RETRY_AFTER}
    return responses


def _query(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            **({"description": prop.pop("description")} if "description" in prop else {}),
            "schema": _not_null(prop),
        }
        for name, prop in schema["properties"].items()
    ]


def _not_null(prop: dict) -> dict:
    """A query parameter is left out rather than sent as null."""
    options = [o for o in prop.get("anyOf", ()) if o != {"type": "null"}]
    if len(options) != 1:
        return prop
    rest = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**rest, **options[0]}


def _idempotency_key() -> dict:
    return {
        "name": idempotency.HEADER,
        "in": "header",
        "required": False,
        "description": "Send the same key and body again to get the same answer, not a "
        "second notification. Kept for at least 24 hours, per token.",
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": idempotency.KEY_PATTERN,
        },
    }
