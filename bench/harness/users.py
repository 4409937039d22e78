"""The bench's users: their keys and names, and logging them in over HTTP for cookies.

A user key says what the load client does with the user: probe users "p0", "p1", ...
get one socket each, crowd users "c0", "c1", ... share the other sockets round-robin.
"""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

PASSWORD = "tocsin"  # noqa: S105 - the bench users' throwaway password
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def probe_keys(n: int) -> list[str]:
    return [f"p{i}" for i in range(n)]


def crowd_keys(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def username(prefix: str, key: str) -> str:
    """The name of the user `key` of a benchmark whose users are named `prefix`..."""
    return f"{prefix}{key}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpSession:
    """A browser-like HTTP session (cookies, CSRF token) against a Tocsin server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def _send(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            request = urllib.request.Request(self.base + path, body)  # noqa: S310 - our server
            with self.opener.open(request, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def login(self, name: str, password: str = PASSWORD) -> "HttpSession":
        """Log in through the login form, as a browser would."""
        _, page = self._send("/login")
        csrf = CSRF_RE.search(page).group(1)
        status, _ = self._send(
            "/login", {"csrf_token": csrf, "username": name, "password": password}
        )
        if status != 303:
            raise RuntimeError(f"login failed for {name}: {status}")
        return self

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def login_all(url: str, names: dict[str, str], password: str = PASSWORD) -> dict[str, str]:
    """Log each user (key -> name) in over HTTP; return key -> Cookie header."""
    return {k: HttpSession(url).login(name, password).cookie_header for k, name in names.items()}
