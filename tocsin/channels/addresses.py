"""Check an email address a user or an admin types, before anything is sent to it."""

import re

from flask_babel import gettext as _

#: The HTML standard's "valid email address" (what <input type=email> accepts), with
#: RFC 5321's 254-character cap: a typo is refused here, not bounced by a server later.
EMAIL_RE = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+"
)
EMAIL_MAX = 254


class InvalidAddress(ValueError):
    """Not an email address we can send to; the message says why, for the user."""


def check_address(text: str) -> str | None:
    """Return the address, trimmed (None for empty: no email); raise InvalidAddress."""
    address = (text or "").strip()
    if not address:
        return None
    if len(address) > EMAIL_MAX or not EMAIL_RE.fullmatch(address):
        raise InvalidAddress(
            _(
                "%(address)s is not an email address (name@example.com).",
                address=repr(address[:80]),
            )
        )
    return address
