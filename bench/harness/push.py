"""The push the peers send: a Tocsin push captured in the run, or a fixed fragment."""

import re

#: Length of one Tocsin push for a one-line notification (measured by the latency bench).
DEFAULT_SIZE = 2600
TEMPLATE_ID, TEMPLATE_STAMP = "@@ID@@", "@@STAMP@@"


def fragment(nid: int, stamp: str, size: int = DEFAULT_SIZE) -> str:
    """The push for one new notification, padded with spaces to `size` characters."""
    head = (
        f'<ul id="notification-list" hx-swap-oob="afterbegin">'
        f'<li id="notification-{nid}" class="tocsin-item is-unread">t={stamp}</li></ul>'
    )
    tail = '<span id="notification-badge" hx-swap-oob="true"></span>'
    return head + " " * max(0, size - len(head) - len(tail)) + tail


def fill(template: str | None, nid: int, stamp: str, size: int = DEFAULT_SIZE) -> str:
    """The push for `nid` and `stamp`: the template filled in, or the fixed fragment."""
    if template is None:
        return fragment(nid, stamp, size)
    return template.replace(TEMPLATE_ID, str(nid)).replace(TEMPLATE_STAMP, stamp)


def push_template(sample: list) -> str:
    """A Tocsin push as the peers' template: its id and publish stamp made placeholders."""
    message, nid, stamp = sample
    message = message.replace(stamp, TEMPLATE_STAMP)
    return re.sub(
        rf"(?<=notification-){nid}(?!\d)|(?<=toast-){nid}(?!\d)|(?<=/){nid}(?=/)"
        rf'|(?<=data-id="){nid}(?=")',
        TEMPLATE_ID,
        message,
    )
