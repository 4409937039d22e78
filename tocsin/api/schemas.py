"""The HTTP API's request and response models: they validate, and they are the OpenAPI schemas."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from ..models import MAX_ID
from ..notifications.links import URL_MAX
from ..notifications.validation import (
    BODY_MAX,
    DATA_MAX,
    LINE,
    TITLE_MAX,
    NotificationInput,
)

__all__ = ["BODY_MAX", "DATA_MAX", "TITLE_MAX", "URL_MAX"]

#: Most recipients one request may name.
RECIPIENTS_MAX = 10_000
NAME_MAX = 255

UserId = Annotated[int, Field(ge=1, le=MAX_ID)]
UserName = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX, pattern=LINE)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class _Recipients(BaseModel):
    recipients: list[Annotated[UserId | UserName, Field(union_mode="left_to_right")]] = Field(
        min_length=1,
        max_length=RECIPIENTS_MAX,
        description=(
            "Who receives it: a JSON integer is a user id; a string is a user name, unless "
            'it reads `id:<digits>` ("id:2" is user id 2, "2" the user named 2). '
            "Duplicates count once."
        ),
    )


class NewNotification(NotificationInput, _Recipients):
    """A notification to publish: one row per recipient, one push each."""

    # Recipients first (they come first in errors and the document): pydantic lists the
    # fields of the last base first.

    def content(self) -> NotificationInput:
        """Return what the notification says, without its recipients."""
        return NotificationInput.model_construct(**self.model_dump(exclude={"recipients"}))


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
