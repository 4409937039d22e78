"""Build the emails: one notification's, or a digest's; HTML and plain text from the same
templates' wording, with RFC 8058 one-click unsubscribe headers.

Rendered in a worker's app context: every link is absolute (links.py), and nothing
depends on a request. The subject is the title, on one line. The words are in the
recipient's language (their setting, else the default: locales.for_recipient), never the
language of whichever request or worker happens to send it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale, ngettext

from ..models import Notification
from ..notifications.types import NotificationType, catalog
from . import links, unsubscribe

#: RFC 8058: what a mail client POSTs to the List-Unsubscribe URL.
ONE_CLICK = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class Entry:
    """One notification in a digest."""

    n: Notification
    info: NotificationType
    link: str


def for_notification(
    n: Notification, address: str, locale: str = "en", zone: tzinfo = UTC
) -> EmailMessage:
    """The email for one unread notification, to `address`, in `locale`; its time in `zone`."""
    info = catalog().get(n.type)
    context = {
        "n": n,
        "info": info,
        # Through the landing page push uses: it marks the row read, counts the click on
        # "email" (docs/analytics.md) and goes on to the notification's own link.
        "link": links.external("tocsin_push.open_notification", notification_id=n.id, via="email"),
        "unsubscribe": unsubscribe_url(n.user_id, info.name),
        "preferences": links.external("tocsin.preferences"),
        "zone": zone,
    }
    message = _message(address, n.title, n.user_id, info.name)
    with force_locale(locale):
        message.set_content(render_template("tocsin/email.txt", **context))
        message.add_alternative(render_template("tocsin/email.html", **context), subtype="html")
    return message


def for_digest(
    user_id: int,
    address: str,
    shown: Sequence[Notification],
    more: int,
    period: str,
    locale: str = "en",
    zone: tzinfo = UTC,
) -> EmailMessage:
    """The digest listing `shown` (newest first) and counting `more` not listed, in `locale`;
    times in `zone`."""
    types = catalog()
    entries = [Entry(n, types.get(n.type), links.notification_link(n.url)) for n in shown]
    count = len(shown) + more
    context = {
        "entries": entries,
        "more": more,
        "period": period,
        "zone": zone,
        "inbox": links.external("tocsin.inbox", state="unread"),
        "unsubscribe": unsubscribe_url(user_id, unsubscribe.DIGEST),
        "preferences": links.external("tocsin.preferences"),
    }
    with force_locale(locale):
        subject = ngettext("%(num)d unread notification", "%(num)d unread notifications", count)
        message = _message(address, subject, user_id, unsubscribe.DIGEST)
        message.set_content(render_template("tocsin/email_digest.txt", **context))
        html = render_template("tocsin/email_digest.html", **context)
        message.add_alternative(html, subtype="html")
    return message


def unsubscribe_url(user_id: int, type_name: str) -> str:
    """The one-click link for the user's emails of `type_name` (the digest: DIGEST)."""
    return links.external("tocsin_email.unsubscribe", token=unsubscribe.token(user_id, type_name))


def _message(address: str, subject: str, user_id: int, type_name: str) -> EmailMessage:
    sender = current_app.config["TOCSIN_MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    # A title is one line in the inbox too; a header must be (no header injection).
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    # RFC 8058: an https link, POSTed to with the body below, unsubscribes in one click.
    message["List-Unsubscribe"] = f"<{unsubscribe_url(user_id, type_name)}>"
    message["List-Unsubscribe-Post"] = ONE_CLICK
    # RFC 3834: no vacation auto-replies to a notification.
    message["Auto-Submitted"] = "auto-generated"
    return message


def _domain(sender: str) -> str:
    _, addr = parseaddr(sender)
    try:
        return Address(addr_spec=addr).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"
