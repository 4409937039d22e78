"""The HTTP API's request and response models: they validate, and they are the OpenAPI schemas."""

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    field_validator,
)

from ..notifications.links import validate_link_url
from ..notifications.types import catalog
from ..notifications.validation import (
    BODY_MAX,
    PRIORITIES,
    TITLE_MAX,
    NotificationInput,
    clean,
)

#: Most recipients one request may name.
RECIPIENTS_MAX = 10_000
#: Most bytes `data` may take as compact JSON.
DATA_MAX = 8 * 1024
#: Ids are INTEGER columns: 32-bit on PostgreSQL, which refuses a larger parameter.
ID_MAX = 2**31 - 1
NAME_MAX = 255
URL_MAX = 2048
#: No control characters (PostgreSQL text cannot hold NUL, and none belongs in a title).
LINE = r"^[^\x00-\x1f\x7f]*$"
#: Tabs and line breaks allowed, no other control character.
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

UserId = Annotated[int, Field(ge=1, le=ID_MAX)]
UserName = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX, pattern=LINE)]
Line = Annotated[str, StringConstraints(pattern=LINE)]
Id = Annotated[int, Field(ge=1, le=ID_MAX)]


class NewNotification(BaseModel):
    """A notification to publish: one row per recipient, one push each."""

    model_config = ConfigDict(extra="forbid", strict=True)

    recipients: list[Annotated[UserId | UserName, Field(union_mode="left_to_right")]] = Field(
        min_length=1, max_length=RECIPIENTS_MAX,
        description=(
            "Who receives it: a JSON integer is a user id; a string is a user name, unless "
            'it reads `id:<digits>` ("id:2" is user id 2, "2" the user named 2). '
            "Duplicates count once."
        ),
    )
    type: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="A notification type the app's catalog declares."
    )
    title: Annotated[Line, StringConstraints(min_length=1, max_length=TITLE_MAX)]
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
    actor: Annotated[Line, StringConstraints(max_length=120)] | None = Field(
        None, description="Who caused it, as the item shows it."
    )
    group_key: Annotated[Line, StringConstraints(max_length=200)] | None = None

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

    @field_validator("data")
    @classmethod
    def _small_data(cls, value: dict | None) -> dict | None:
        if value is None:
            return None
        try:
            size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                                  allow_nan=False).encode())
        except ValueError:
            raise ValueError("numbers must be finite") from None
        if size > DATA_MAX:
            raise ValueError(f"at most {DATA_MAX} bytes as JSON, not {size}")
        return value

    def payload(self) -> NotificationInput:
        """Return the checked input notify() stores; raise InvalidNotification naming the field."""
        fields = self.model_dump(exclude={"recipients"})
        return clean(**fields)


class Created(BaseModel):
    """The notifications a publish request created."""

    ids: list[int] = Field(description="The new notification ids, in the recipients' order.")
    recipients: int = Field(description="How many distinct users received one.")


class Notification(BaseModel):
    """One user's notification."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    type: str
    title: str
    body: str | None
    url: str | None
    priority: str
    data: dict[str, JsonValue] | None
    actor: str | None
    group_key: str | None
    created_at: datetime
    seen_at: datetime | None
    read_at: datetime | None
    action_taken: str | None = Field(description="The action button the user chose, if any.")
    outcome: str | None = Field(description="What the item says since the action.")
    acted_at: datetime | None


class NotificationPage(BaseModel):
    """A page of a user's notifications, newest first."""

    items: list[Notification]
    next_before: int | None = Field(description="`before` for the next page; null at the end.")
    unread: int = Field(description="The user's unread count.")


class UserQuery(BaseModel):
    """Whose notifications: an API token may act for any user."""

    model_config = ConfigDict(extra="forbid")

    user: UserName = Field(
        description='A user name, or `id:<digits>` for a user id: "id:2" is user id 2, '
        '"2" the user named 2.'
    )


class PageQuery(UserQuery):
    before: Id | None = Field(None, description="Only notifications with a smaller id.")
    limit: int = Field(20, ge=1, le=100)


class Problem(BaseModel):
    field: str | None
    message: str


class Error(BaseModel):
    """Every error the API returns: a message and, for bad input, the field at fault."""

    error: str
    field: str | None = None
    errors: list[Problem] | None = None
    unknown: list[int | str] | None = Field(None, description="Recipients no user matches.")
