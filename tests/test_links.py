import pytest

from app.notifications.links import is_local_path, validate_link_url


@pytest.mark.parametrize(
    "url",
    ["/orders/1", "orders/1?x=1#y", "https://example.com/a", "http://example.com", None, ""],
)
def test_accepts_relative_and_http(url):
    assert validate_link_url(url) == (url or None)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "ftp://example.com/file",
        "http:/no-host",
        "/\\evil.example",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_refuses_other_schemes_and_tricks(url):
    with pytest.raises(ValueError):
        validate_link_url(url)


@pytest.mark.parametrize(
    ("url", "local"),
    [("/", True), ("/a?b=1", True), ("//evil.example", False), ("https://x.y/", False),
     ("a/b", False), ("/\\evil", False), (None, False), ("", False)],
)
def test_local_path(url, local):
    assert is_local_path(url) is local
