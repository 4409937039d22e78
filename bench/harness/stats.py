"""Summary statistics of timings: nearest-rank percentiles, in milliseconds."""

import math
import statistics


def percentile(samples: list[float], pct: float) -> float:
    """Return the nearest-rank percentile (p95 of 200 runs is the 190th smallest)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(samples_s: list[float]) -> dict:
    """Summarize timings given in seconds as milliseconds: p50, p95, max, mean, min."""
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": statistics.median(ms),
        "p95_ms": percentile(ms, 95),
        "max_ms": max(ms),
        "mean_ms": statistics.fmean(ms),
        "min_ms": min(ms),
    }


def summary(ms: list[float]) -> dict:
    """Summarize milliseconds: p50, p99, p99.9, min, max (n 0 when empty).

    p99.9 is nearest-rank too: below 1,000 samples it is the largest one (the max)."""
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "p99_9_ms": percentile(ms, 99.9),
        "min_ms": min(ms),
        "max_ms": max(ms),
    }


def ms_summary(samples_s: list[float]) -> dict:
    """Summarize seconds as milliseconds: p50, p99, max (n 0 when empty)."""
    if not samples_s:
        return {"n": 0}
    ms = sorted(s * 1000 for s in samples_s)
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "max_ms": ms[-1],
    }
