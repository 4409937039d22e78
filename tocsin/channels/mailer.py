"""Send one email through TOCSIN_SMTP_URL with the standard library's smtplib, or to the
debug sink when it is unset; SMTP's answers become the channel's outcomes.

smtplib and email.message are the mail library: kept with Python itself, and all that
sending needs. Flask-Mail wraps the same smtplib, reads MAIL_* settings rather than one
URL, and would hide nothing we must classify (its errors are smtplib's).

    smtp://host[:25]                 plain (a relay on the same host or network)
    smtp+starttls://user:pw@host[:587]  upgrade with STARTTLS, then log in
    smtps://user:pw@host[:465]       TLS from the first byte

A refused connection, a timeout or a 4xx answer is retried (Retry); a 5xx answer about
the message or a recipient is final (Permanent). A refused login or a server without
STARTTLS is a setting to fix, not the message's fault: retried, so fixing the setting
delivers the backlog. Nothing here logs an address, a subject or a body.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

from .outcomes import Permanent, Retry

log = logging.getLogger(__name__)

#: Seconds to connect and for each SMTP answer: under the delivery lease (5 min), longer
#: than a loaded relay's greeting delay.
TIMEOUT = 30.0
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
#: The debug sink's folder, in the instance folder: one .eml file per message.
SINK_FOLDER = "mail"


class InvalidSmtpUrl(ValueError):
    """TOCSIN_SMTP_URL cannot be used; the message says why."""


@dataclass(frozen=True)
class Server:
    scheme: str
    host: str
    port: int
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> "Server":
        """Parse TOCSIN_SMTP_URL; raise InvalidSmtpUrl if it is not one of the forms above."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            raise InvalidSmtpUrl(
                "TOCSIN_SMTP_URL: give smtp://host:port, smtp+starttls://… or smtps://…"
            )
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError as exc:
            raise InvalidSmtpUrl(f"TOCSIN_SMTP_URL: {exc}") from None
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(scheme, parts.hostname, port, user, password)


def send(message: EmailMessage, key: str) -> None:
    """Send `message` (`key` names it in logs and the sink: ids, never content); raise
    Retry or Permanent if it did not go out."""
    url = current_app.config["TOCSIN_SMTP_URL"]
    if not url:
        _to_sink(message, key)
        return
    server = Server.from_url(url)
    try:
        with _connect(server) as smtp:
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise _by_code(min(codes), "recipient refused") from None
    except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as exc:
        log.warning("email %s: the SMTP server refused the set-up: %s", key, type(exc).__name__)
        raise Retry(f"SMTP set-up: {type(exc).__name__}") from None
    except smtplib.SMTPResponseException as exc:
        raise _by_code(exc.smtp_code, type(exc).__name__) from None
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, TLS
        raise Retry(f"SMTP unreachable: {type(exc).__name__}") from None
    log.info("email %s sent", key)


def _connect(server: Server) -> smtplib.SMTP:
    if server.scheme == "smtps":
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=TIMEOUT, context=context
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
    try:
        if server.scheme == "smtp+starttls":
            smtp.starttls(context=ssl.create_default_context())
        if server.user:
            smtp.login(server.user, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _by_code(code: int, what: str) -> Retry | Permanent:
    if 500 <= code < 600:
        return Permanent(f"SMTP {code}: {what}")
    return Retry(f"SMTP {code}: {what}")


def _to_sink(message: EmailMessage, key: str) -> None:
    """Write the message as instance/mail/<key>.eml: the demo's outbox, never lost silently."""
    folder = Path(current_app.instance_path) / SINK_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.eml"
    path.write_bytes(message.as_bytes())
    log.info("email %s: no TOCSIN_SMTP_URL, written to %s", key, path)
