"""Shared by the benchmarks: summary statistics, machine info and result files."""

import json
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def percentile(samples: list[float], pct: float) -> float:
    """Return the nearest-rank percentile (p95 of 200 runs is the 190th smallest)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(samples_s: list[float]) -> dict:
    """Summarize timings given in seconds as milliseconds."""
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": statistics.median(ms),
        "p95_ms": percentile(ms, 95),
        "max_ms": max(ms),
        "mean_ms": statistics.fmean(ms),
        "min_ms": min(ms),
    }


def fmt_ms(value: float | None) -> str:
    """Format milliseconds with a precision that suits the magnitude."""
    if value is None:
        return "–"
    if value < 1:
        return f"{value:.3f}"
    if value < 100:
        return f"{value:.2f}"
    return f"{value:.0f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 0.01:
        return f"{value:.4f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "app",
                "tocsin",
                "templates",
                "static",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return f"{rev}{' (app/tocsin/templates/static modified)' if dirty else ''}"
    except OSError:
        return "unknown"


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


#: The serving stack whose versions every socket benchmark records.
STACK = (
    "gunicorn",
    "gevent",
    "psycopg",
    "redis",
    "websockets",
    "simple-websocket",
    "flask-socketio",
    "python-socketio",
    "python-engineio",
)


def stack_info(load_avg_at_start, **extra) -> dict:
    """machine_info plus the versions of the serving stack (peers' included)."""
    versions = {dist.replace("-", "_"): _version(dist) for dist in STACK}
    return machine_info(load_avg_at_start=load_avg_at_start, **versions, **extra)


def emit(name: str, data: dict, text: str, write: bool = True) -> None:
    """Print a benchmark's Markdown and, if `write`, save it with its JSON in results/."""
    print(text)
    if write:
        for path in write_results(name, data, text):
            print(f"wrote {path.relative_to(ROOT)}")


def machine_info(**extra) -> dict:
    """Describe the machine and software versions the figures were measured on."""
    mem_kb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    info = {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpu_model": _cpu_model(),
        "cpu_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": round(mem_kb / 1024 / 1024, 1) if mem_kb else None,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": _version("sqlalchemy"),
        "flask": _version("flask"),
        "git": _git_revision(),
        # Other work on a shared machine shows up here; p95 suffers first.
        "load_avg_1_5_15_min": tuple(round(x, 2) for x in os.getloadavg()),
    }
    info.update({k: v for k, v in extra.items() if v is not None})
    return info


def machine_markdown(info: dict) -> str:
    return "\n".join(f"- **{key}**: {value}" for key, value in info.items())


def write_results(name: str, data: dict, markdown: str) -> tuple[Path, Path]:
    """Write bench/results/<name>.json and .md; return their paths."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{name}.json"
    md_path = RESULTS / f"{name}.md"
    json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path
