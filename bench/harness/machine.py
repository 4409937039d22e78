"""The machine the figures were measured on, and the CPU, memory and cores of its processes."""

import os
import platform
import resource
import sqlite3
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from .paths import ROOT

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
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
            ["git", "status", "--porcelain", "--untracked-files=no", "--"]
            + ["app", "tocsin", "templates", "static"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return f"{rev}{' (app/tocsin/templates/static modified)' if dirty else ''}"
    except OSError:
        return "unknown"


def version(dist: str) -> str | None:
    """Return the installed version of `dist`, or None."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def load_avg() -> tuple[float, ...]:
    """Return the 1, 5 and 15 minute load averages, rounded."""
    return tuple(round(x, 2) for x in os.getloadavg())


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
        "sqlalchemy": version("sqlalchemy"),
        "flask": version("flask"),
        "git": _git_revision(),
        # Other work on a shared machine shows up here; p95 suffers first.
        "load_avg_1_5_15_min": load_avg(),
    }
    info.update({k: v for k, v in extra.items() if v is not None})
    return info


def stack_info(load_avg_at_start, **extra) -> dict:
    """Return machine_info plus the versions of the serving stack (peers' included)."""
    versions = {dist.replace("-", "_"): version(dist) for dist in STACK}
    return machine_info(load_avg_at_start=load_avg_at_start, **versions, **extra)


class WorkerGone(Exception):
    """The measured process exited (gunicorn's master may have replaced it)."""


def _proc(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_text()
    except FileNotFoundError:
        raise WorkerGone(pid) from None


def proc_stats(pid: int) -> dict:
    """Return RSS (KiB), threads and open fds of a process."""
    status = _proc(pid, "status")
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "rss_kb": int(fields["VmRSS"].split()[0]),
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def cpu_seconds(pid: int) -> float:
    """Return a process's CPU seconds so far (user + system)."""
    fields = _proc(pid, "stat").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def cpu_percent(pid: int, window: float) -> float:
    """Return the percent of one core the process used over the next `window` seconds."""
    before, start = cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    return 100 * (cpu_seconds(pid) - before) / (time.monotonic() - start)


def self_cpu() -> float:
    """Return this process's CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> tuple[float, float]:
    """Return (busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS, sum(fields[:8]) / CLOCK_TICKS


def busy_percent(busy: float, total: float) -> float | None:
    """Return the percent of all cores busy; None for a window shorter than a clock tick."""
    return 100 * busy / total if total > 0 else None


def can_pin() -> bool:
    """Tell whether there are two cores or more to keep server and client apart."""
    return hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2


def cores() -> tuple[int, int]:
    """Return the first and the last usable core."""
    ordered = sorted(os.sched_getaffinity(0))
    return ordered[0], ordered[-1]


def pin(pid: int | None, core: int) -> None:
    """Keep `pid` (every thread of it) on one core; children it forks later inherit it."""
    if pid and can_pin():
        for task in Path(f"/proc/{pid}/task").iterdir():
            os.sched_setaffinity(int(task.name), {core})


def pin_apart(server_pid: int | None, client_pid: int) -> None:
    """Pin the server to the first core and the load client to the last one."""
    first, last = cores()
    pin(server_pid, first)
    pin(client_pid, last)


def raise_nofile() -> int:
    """Raise the open-file limit to the hard limit (children inherit it); return it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard
