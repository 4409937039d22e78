"""Check link URLs: only a path on this site or an absolute http(s) link may reach a page.

A relative link starts with exactly one "/". Anything else must be absolute http(s):
"//evil.example" is a link to another host, "evil.example/x" is ambiguous, and both are
refused, as are the tricks browsers read as a host: "/\\evil.example" (a backslash is a
slash to them) and "/%2F/evil.example" (decoded by some proxies and frameworks).
"""

from typing import TypeGuard
from urllib.parse import unquote, urlsplit

ALLOWED_SCHEMES = {"http", "https"}
URL_MAX = 2048
IGNORED = str.maketrans("", "", "\t\n\r")


def validate_link_url(url: str | None) -> str | None:
    """Return the URL unchanged if it is a local path or http(s); raise ValueError otherwise."""
    if url is None or url == "":
        return None
    # Browsers ignore tabs, newlines and leading spaces inside a scheme ("java\tscript:"),
    # so any whitespace or control character is refused rather than normalised.
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise ValueError("url must not contain whitespace or control characters")
    if "\\" in url:
        raise ValueError("url must not contain backslashes")
    if len(url) > URL_MAX:
        raise ValueError(f"url must be at most {URL_MAX} characters")
    if url.startswith("/"):
        if not _one_leading_slash(url):
            raise ValueError("a relative url starts with exactly one '/' (not '//' or '/\\')")
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        if not parts.scheme:
            raise ValueError("url must start with '/' or with http:// or https://")
        raise ValueError(f"url scheme {parts.scheme!r} is not allowed; use http(s) or a path")
    if not url.lower().startswith(("http://", "https://")) or not parts.hostname:
        raise ValueError("an absolute url needs a host")
    return url


def safe_link(url: str | None) -> str | None:
    """Return `url` if it is still an acceptable link, else None (a row stored before the check)."""
    try:
        return validate_link_url(url)
    except ValueError:
        return None


def is_local_path(url: str | None) -> TypeGuard[str]:
    """Tell whether a redirect target stays on this site (a path, no scheme or host)."""
    if not url or "\\" in url or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        return False
    return url.startswith("/") and _one_leading_slash(url)


def _one_leading_slash(path: str) -> bool:
    """Tell whether `path` begins with one "/", even after percent-decoding (up to 3 times)."""
    for _ in range(4):
        # Browsers drop tabs and line breaks anywhere in a URL: "/\t/x" is "//x" to them.
        if path.translate(IGNORED)[1:2] in ("/", "\\"):
            return False
        decoded = unquote(path)
        if decoded == path:
            return True
        path = decoded
    return False  # still encoded after three rounds: no honest link looks like that
