"""Smoke test of the search benchmark (`python -m bench search --smoke`): correctness only.

200,000 rows, 20,000 of them one user's, on PostgreSQL: every case must return rows that
are the user's, match the filter and come newest first, and page 2 must continue page 1
(the benchmark checks this itself and exits non-zero otherwise); times are never
asserted (they live in bench/results/search.md).
"""

import pytest

from tests.bench_cli import run_bench

pytestmark = pytest.mark.postgres


def test_search_cases_run_and_check_their_pages(tmp_path):
    data = run_bench("search", tmp_path)
    assert data["heavy_rows"] == 20_000
    cases = {c["case"]: c for c in data["cases"]}
    assert cases["plain page"]["rows"] == 20 and "page2_ms" in cases["plain page"]
    assert cases["q common word"]["rows"] == 20 and "page2_ms" in cases["q common word"]
    assert cases["q rare word"]["rows"] < 20
    for case in data["cases"]:
        assert case["ms"]["min"] <= case["ms"]["median"] <= case["ms"]["max"]
        assert "Seq Scan" not in case["plan"], case
