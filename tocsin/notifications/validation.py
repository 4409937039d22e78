"""A notification's content, declared once: the Python API, HTTP API, CLI and pipeline use it.

The HTTP API adds its recipients to this model (api/schemas.py), so the OpenAPI document
shows exactly these fields and limits.
"""

import json
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from .links import URL_MAX, validate_link_url
from .types import catalog

PRIORITIES = ("low", "normal", "high", "urgent")
TYPE_MAX = 40
TITLE_MAX = 200
BODY_MAX = 2000
ACTOR_MAX = 120
GROUP_KEY_MAX = 200
#: Most bytes `data` may take as compact JSON.
DATA_MAX = 8 * 1024
#: No control characters (PostgreSQL text cannot hold NUL, and none belongs in a title).
LINE = r"^[^\x00-\x1f\x7f]*$"
#: Tabs and line breaks allowed, no other control character.
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Line = Annotated[str, StringConstraints(pattern=LINE)]


class InvalidNotification(ValueError):
    """A notification that cannot be published; the message names the field."""


class NotificationInput(BaseModel):
    """What a notification says; who receives it is the publisher's other argument."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: Annotated[str, StringConstraints(max_length=TYPE_MAX)] = Field(
        description="A notification type the app's catalog declares."
    )
    title: Annotated[
        Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)
    ]
    body: Annotated[str, StringConstraints(max_length=BODY_MAX, pattern=TEXT)] | None = None
    url: Annotated[Line, StringConstraints(max_length=URL_MAX)] | None = Field(
        None, description="A relative link or an absolute http(s) one."
    )
    priority: Literal[PRIORITIES] | None = Field(  # type: ignore[valid-type]
        None, description="Defaults to the type's own."
    )
    data: dict[str, JsonValue] | None = Field(
        None, description=f"Any JSON object, at most {DATA_MAX} bytes serialized."
    )
    actor: Annotated[Line, StringConstraints(max_length=ACTOR_MAX)] | None = Field(
        None, description="Who caused it, as the item shows it."
    )
    group_key: Annotated[Line, StringConstraints(max_length=GROUP_KEY_MAX)] | None = None

    @field_validator("title", "url", "actor", "group_key", "body", mode="before")
    @classmethod
    def _no_control_characters(cls, value, info):
        # Before the pattern check, so the message says what is wrong in words.
        if isinstance(value, str):
            allowed = "\t\n\r" if info.field_name == "body" else ""
            if any((c < " " and c not in allowed) or c == "\x7f" for c in value):
                what = "NUL" if "\x00" in value else "control"
                raise ValueError(f"must not contain {what} characters")
        return value

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in catalog():
            raise ValueError(f"unknown type {value!r} (known: {', '.join(catalog())})")
        return value

    @field_validator("url")
    @classmethod
    def _safe_url(cls, value: str | None) -> str | None:
        return validate_link_url(value)

    @field_validator("body")
    @classmethod
    def _empty_body_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("data")
    @classmethod
    def _small_data(cls, value: dict | None) -> dict | None:
        if value is None:
            return None
        try:
            size = len(
                json.dumps(
                    value, separators=(",", ":"), ensure_ascii=False, allow_nan=False
                ).encode()
            )
        except ValueError:
            raise ValueError("numbers must be finite") from None
        if size > DATA_MAX:
            raise ValueError(f"at most {DATA_MAX} bytes as JSON, not {size}")
        return value

    @model_validator(mode="after")
    def _type_default_priority(self) -> "NotificationInput":
        if self.priority is None:
            self.priority = catalog().get(self.type).default_priority
        return self

    def columns(self) -> dict:
        """Return the stored columns this content fills."""
        return self.model_dump()


def clean(**fields) -> NotificationInput:
    """Return checked content or raise InvalidNotification naming the first field at fault."""
    try:
        return NotificationInput.model_validate(fields)
    except ValidationError as exc:
        raise invalid(exc) from None


def invalid(exc: ValidationError) -> InvalidNotification:
    """Return the InvalidNotification for pydantic's first complaint: "field: reason"."""
    first = exc.errors(include_url=False, include_input=False)[0]
    field = first["loc"][0] if first["loc"] else "notification"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    return InvalidNotification(f"{field}: {message}")
