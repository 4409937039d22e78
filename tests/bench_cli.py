"""Run a benchmark the only way the tests reach bench/: its command line, in smoke mode."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, REQUIRE_SERVICES, postgres_url

ROOT = Path(__file__).resolve().parent.parent


def run_bench(name: str, out: Path, *args: str, postgres: bool = True) -> dict:
    """`python -m bench NAME --smoke --out OUT ARGS`; fail on a non-zero exit; return the JSON.

    The bench starts its own Redis (redis-server) and PostgreSQL schema.
    """
    if shutil.which("redis-server") is None:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server required but not installed")
        pytest.skip("redis-server is not installed")
    if postgres:
        postgres_url()  # skips (fails in CI) when PostgreSQL is unreachable
    env = {**os.environ, "BENCH_PG_URL": POSTGRES_URL}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", name, "--smoke", "--out", str(out), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"bench {name} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    # Each app the bench made wrote its analytics before its database went (dispose()).
    assert "not written at exit" not in proc.stderr, proc.stderr[-3000:]
    return json.loads((out / f"{name}.json").read_text())
