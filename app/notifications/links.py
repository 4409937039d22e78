"""Check link URLs: only relative or http(s) links may reach a page."""

from urllib.parse import urlsplit

ALLOWED_SCHEMES = {"http", "https"}


def validate_link_url(url: str | None) -> str | None:
    """Return the URL unchanged if it is relative or http(s); raise ValueError otherwise."""
    if url is None or url == "":
        return None
    # Browsers ignore tabs, newlines and leading spaces inside a scheme ("java\tscript:"),
    # so any whitespace or control character is refused rather than normalised.
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise ValueError("url must not contain whitespace or control characters")
    if "\\" in url:
        raise ValueError("url must not contain backslashes")
    if len(url) > 2048:
        raise ValueError("url must be at most 2048 characters")
    parts = urlsplit(url)
    if parts.scheme:
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            raise ValueError(f"url scheme {parts.scheme!r} is not allowed; use http(s) or a path")
        if not parts.netloc:
            raise ValueError("an absolute url needs a host")
    return url


def is_local_path(url: str | None) -> bool:
    """Tell whether a redirect target stays on this site (a path, no scheme or host)."""
    if not url or "\\" in url or any(ord(ch) < 0x21 for ch in url):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url.startswith("/")
