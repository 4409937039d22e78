import pytest

from tocsin.notifications.links import is_local_path, safe_link, validate_link_url


@pytest.mark.parametrize(
    "url",
    [
        "/orders/1",
        "/orders/1?x=1#y",
        "/a%2Fb",
        "https://example.com/a",
        "http://example.com",
        "HTTPS://example.com/a",
        None,
        "",
    ],
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
        # Another host, however it is spelled: a relative link starts with exactly one "/".
        "//evil.example/phish",
        "///evil.example",
        "/%2F/evil.example",
        "/%2f/evil.example",
        "/%252F/evil.example",
        "/%5Cevil.example",
        "/%09/evil.example",
        # No leading "/" and no http(s) scheme: refused, not guessed.
        "evil.example/x",
        "orders/1",
        "?x=1",
        "#top",
        "https:evil.example",
        "https:///evil.example",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_refuses_other_schemes_and_tricks(url):
    with pytest.raises(ValueError):
        validate_link_url(url)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("/", True),
        ("/a?b=1", True),
        ("//evil.example", False),
        ("https://x.y/", False),
        ("a/b", False),
        ("/\\evil", False),
        (None, False),
        ("", False),
        ("/%2F/evil", False),
        ("/%5Cevil", False),
        ("/%09/evil", False),
        ("/a%2Fb", True),
    ],
)
def test_local_path(url, local):
    assert is_local_path(url) is local


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("/a", "/a"),
        ("https://x.y/", "https://x.y/"),
        ("//evil.example", None),
        ("javascript:alert(1)", None),
        (None, None),
    ],
)
def test_safe_link_drops_what_validation_refuses(url, kept):
    assert safe_link(url) == kept
