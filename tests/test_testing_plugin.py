"""The test kit's pytest plugin: registered, inert until asked, harmless without Playwright."""

import os
import subprocess
import sys
from importlib.metadata import entry_points

from tocsin.testing import plugin

#: A host's test run where `import playwright` fails, as where it is not installed.
WITHOUT_PLAYWRIGHT = """
import sys
sys.modules["playwright"] = None
sys.modules["playwright.sync_api"] = None
import pytest
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-rs", sys.argv[1]]))
"""

HOST_TESTS = """
def test_a_host_test_that_names_no_fixture_of_the_kit():
    assert True

def test_one_that_asks_for_the_browser(tocsin_browser):
    raise AssertionError("never reached: skipped without Playwright")
"""


def test_the_plugin_is_the_pytest11_entry_point_tocsin():
    (found,) = [e for e in entry_points(group="pytest11") if e.name == "tocsin"]
    assert found.value == "tocsin.testing.plugin"


def test_no_fixture_of_the_kit_is_autouse():
    kit = [v for name, v in vars(plugin).items() if name.startswith("tocsin_")]
    markers = [fixture._fixture_function_marker for fixture in kit]
    assert len(markers) == 9
    assert not any(marker.autouse for marker in markers)


def test_a_host_without_playwright_runs_its_tests_and_skips_the_browser(tmp_path):
    tests = tmp_path / "test_host.py"
    tests.write_text(HOST_TESTS)
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PLAYWRIGHT, str(tests)],
        cwd=tmp_path,
        # A host's own run: not Tocsin's CI, whose TOCSIN_REQUIRE_BROWSER=1 turns skips into
        # failures on purpose.
        env={k: v for k, v in os.environ.items() if k != "TOCSIN_REQUIRE_BROWSER"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout
    assert "Playwright is not installed" in done.stdout
