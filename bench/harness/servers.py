"""Tocsin's servers as the benchmarks run them: gunicorn as in production, or `flask run`."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .paths import ROOT
from .services import free_port, stop_process, wait_http


def server_env(instance: Path, database_url: str | None = None, **extra: str) -> dict:
    """The environment of a Tocsin server in `instance`, as the test suite's servers get."""
    env = dict(os.environ)
    env.update(
        TOCSIN_INSTANCE_PATH=str(instance),
        TOCSIN_SECRET_KEY="test-secret",  # noqa: S106 - a throwaway server's
        TOCSIN_BROKER_POLL_INTERVAL="0.05",
        # As `make run`: the users of `tocsin init --demo` log in only in demo mode.
        TOCSIN_DEMO="1",
        # The bench publishes thousands a minute with one API token.
        TOCSIN_API_RATE_LIMIT="",
        # ...and toasts one user far more than 10 a minute: measure delivery, not holds.
        TOCSIN_RATE_LIMIT="",
        PYTHONUNBUFFERED="1",
        TOCSIN_HEALTHZ_DETAILS="1",
    )
    if database_url:
        env["TOCSIN_DATABASE_URL"] = database_url
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def flask_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` in a separate process, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def worker_pids(master: int) -> list[int]:
    """The worker processes a gunicorn master has forked (none if it is gone)."""
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except FileNotFoundError:
        return []


def log_excerpt(log: Path | None, lines: int = 2) -> str:
    """Why a worker went away, from gunicorn's log: its own critical lines first."""
    if log is None:
        return "(no log kept)"
    text = log.read_text(errors="replace").splitlines()
    for words in (("CRITICAL", "SIGKILL", "Worker (pid"), ("ERROR", "WARNING")):
        found = [line for line in text if any(w in line for w in words)]
        if found:
            return " / ".join(line.split("] ", 3)[-1] for line in found[:lines])
    return "(nothing logged)"


class Gunicorn:
    """`gunicorn -c python:tocsin.gunicorn wsgi:app` with one worker of the given class."""

    protocol = "ws"

    def __init__(self, mode: str, env: dict, log: Path, workers: int = 1) -> None:
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = self.url.replace("http://", "ws://") + "/notifications/ws"
        self.origin = self.url
        env = {
            **env,
            "TOCSIN_WORKERS": str(workers),
            "TOCSIN_WORKER_CLASS": mode,
            "TOCSIN_BIND": f"127.0.0.1:{self.port}",
            "TOCSIN_ACCESS_LOG": "",
        }
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "python:tocsin.gunicorn", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_http(self.url + "/healthz", proc=self.proc)
        except (OSError, RuntimeError):
            self.stop()
            raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}") from None
        deadline = time.monotonic() + 30
        while len(worker_pids(self.proc.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.05)  # the first worker answered; the others are still booting
        #: Every worker; `worker_pid` is the first (the only one, as a rule).
        self.worker_pids = worker_pids(self.proc.pid)
        self.worker_pid = self.worker_pids[0]
        self.returncode: int | None = None

    def log_excerpt(self, lines: int = 2) -> str:
        return log_excerpt(self.log, lines)

    def stop(self) -> None:
        """SIGTERM the master and wait for it; keep its exit status in `returncode`."""
        stop_process(self.proc, 30, lambda: self.proc.send_signal(signal.SIGTERM))
        self.returncode = self.proc.returncode


class LiveServer:
    """`flask --app wsgi run` on a free port (the development server)."""

    def __init__(self, env: dict) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(env["TOCSIN_INSTANCE_PATH"]) / f"server-{self.port}.log"
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1"]
                + ["--port", str(self.port), "--no-reload", "--no-debugger"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_http(self.url + "/healthz", proc=self.proc)
        except (OSError, RuntimeError):
            self.stop()
            raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}") from None

    def stop(self) -> None:
        stop_process(self.proc)
