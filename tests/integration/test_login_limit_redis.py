"""With Redis, failed logins are counted across processes: one name, two servers."""

import pytest

from tests.support import CSRF_RE, HttpSession, LiveServer, server_env


@pytest.fixture
def two_servers(publisher, database_url, tmp_path, redis_url, channel_prefix):
    env = server_env(
        tmp_path,
        database_url,
        TOCSIN_REDIS_URL=redis_url,
        TOCSIN_REDIS_CHANNEL_PREFIX=channel_prefix,
    )
    servers = [LiveServer(env).start(), LiveServer(env).start()]
    yield servers
    for server in servers:
        server.stop()


def attempt(server: LiveServer, password: str) -> tuple[int, str, dict]:
    client = HttpSession(server.url)
    _, page, _ = client.get("/login")
    client.csrf = CSRF_RE.search(page).group(1)
    return client.post("/login", {"username": "alice", "password": password})


def test_failures_on_one_process_limit_the_name_on_another(two_servers):
    first, second = two_servers
    for _ in range(5):
        assert attempt(first, "wrong-password")[0] == 401
    status, page, headers = attempt(second, "tocsin")  # the right password, elsewhere
    assert status == 429
    assert int(headers["Retry-After"]) > 0
    assert 'role="alert"' in page and "Try again in" in page
    assert attempt(first, "tocsin")[0] == 429
