"""The wheel installed into a fresh venv beside a host package named `app`: a live push."""

import re
import subprocess
import zipfile

import pytest

from tests.support import ROOT, LiveServer
from tests.wheel.conftest import clean_env, run

HOST = ROOT / "tests" / "hostapp"

pytestmark = pytest.mark.wheel


def test_the_wheel_ships_the_library_and_its_files_but_no_app(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "tocsin/gunicorn.py" in names
    assert "tocsin/templates/tocsin/_bell.html" in names
    assert "tocsin/static/vendor/htmx.min.js" in names
    assert "tocsin/static/tocsin/chime.wav" in names
    assert "tocsin/static/tocsin/SOUNDS.md" in names  # its licence travels with it
    assert "tocsin/migrations/env.py" in names
    assert any(n.startswith("tocsin/migrations/versions/0001") for n in names)
    assert not [n for n in names if n.startswith(("app/", "templates/", "static/"))]


@pytest.fixture
def host(fresh_venv, tmp_path):
    """The host app's environment, migrated by `tocsin init` from site-packages."""
    env = clean_env(
        HOST_INSTANCE_PATH=str(tmp_path),
        TOCSIN_INSTANCE_PATH=str(tmp_path),  # only where tests.support keeps server logs
        HOST_DATABASE_URL=f"sqlite:///{tmp_path / 'host.sqlite3'}",
        TOCSIN_BROKER_POLL_INTERVAL="0.05",
    )
    flask = str(fresh_venv / "flask")
    run(
        flask,
        "--app",
        "wsgi",
        "add-user",
        "ben@example.com",
        "Ben",
        "ben-secret",
        cwd=HOST,
        env=env,
    )
    result = run(flask, "--app", "wsgi", "tocsin", "init", cwd=HOST, env=env)
    assert "Database ready" in result.stdout
    where = run(
        str(fresh_venv / "python"),
        "-c",
        "import app, tocsin, tocsin.schema as s; print(app.__file__, s.MIGRATIONS)",
        cwd=HOST,
        env=env,
    ).stdout
    assert str(HOST / "app") in where and "site-packages/tocsin/migrations" in where
    return env


def test_host_cli_has_no_user_commands_and_no_users_table(fresh_venv, host):
    flask = str(fresh_venv / "flask")
    result = subprocess.run(
        [flask, "--app", "wsgi", "tocsin", "user", "create", "x"],
        cwd=HOST,
        env=host,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "No such command 'user'" in result.stderr
    tables = run(
        str(fresh_venv / "python"),
        "-c",
        "import sqlite3, os; c = sqlite3.connect(os.environ['HOST_DATABASE_URL'][10:]);"
        'print(sorted(r[0] for r in c.execute("SELECT name FROM sqlite_master'
        " WHERE type='table'\")))",
        cwd=HOST,
        env=host,
    ).stdout
    assert "'users'" in tables and "'tocsin_notifications'" in tables
    assert "tocsin_users" not in tables


def test_a_push_reaches_the_host_page_in_chromium(fresh_venv, host, tocsin_context):
    # tocsin_context: the test kit's Chromium (skips, or fails under TOCSIN_REQUIRE_BROWSER).
    playwright_api = pytest.importorskip("playwright.sync_api")
    server = LiveServer(host, python=str(fresh_venv / "python"), cwd=HOST).start()
    try:
        page = tocsin_context.new_page()
        page.goto(server.url + "/login")
        page.fill("input[name=email]", "ben@example.com")
        page.fill("input[name=password]", "ben-secret")
        page.click("button")
        expect = playwright_api.expect
        expect(page.locator("main")).to_have_text("Hello Ben")
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected")
        expect(page.locator("#notification-badge")).to_have_attribute("data-count", "0")
        sent = run(
            str(fresh_venv / "flask"),
            "--app",
            "wsgi",
            "tocsin",
            "send",
            "--to",
            "ben@example.com",
            "--type",
            "order",
            "--title",
            "Order shipped",
            cwd=HOST,
            env=host,
        )
        nid = int(sent.stdout.strip())
        expect(page.locator("#notification-badge")).to_have_attribute("data-count", "1")
        expect(page.locator(f"#toast-{nid}")).to_contain_text(re.compile("Order shipped"))
    finally:
        server.stop()
