"""A wheel of Tocsin built from this checkout, installed into one fresh venv per session.

The venv has the wheel and its declared dependencies only (no test extras): what a
host app, or a production server, gets from `pip install tocsin`.
"""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.support import ROOT

#: What goes into the sdist-like copy the wheel is built from (not the venv, caches, tests).
SKIP = shutil.ignore_patterns(
    ".venv", ".git", "instance", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench"
)


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    return result


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel from a copy of the checkout (the build writes build/ and egg-info)."""
    src = tmp_path_factory.mktemp("src") / "tocsin"
    shutil.copytree(ROOT, src, ignore=SKIP)
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src))
    (built,) = out.glob("tocsin-*.whl")
    return built


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory, wheel) -> Path:
    """Return the bin/ folder of a new venv holding the wheel and its dependencies."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=True)
    bin_dir = home / "bin"
    run(str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel), env=clean_env())
    return bin_dir


def clean_env(**extra: str) -> dict:
    """The environment without this checkout on the path or a venv of ours active."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env
