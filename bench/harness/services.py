"""The services a benchmark runs beside the server: a private Redis, free ports, processes."""

import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen | None, timeout: float = 10, terminate=None) -> None:
    """Ask a process to stop (SIGTERM, or `terminate`), kill it if it takes too long."""
    if proc is None or proc.poll() is not None:
        return
    (terminate or proc.terminate)()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_http(url: str, timeout: float = 30, proc: subprocess.Popen | None = None) -> None:
    """Wait until `url` answers; fail if `proc` exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Redis:
    """A Redis of our own on a free port: other runs' channels cannot cross ours."""

    def __init__(self, workdir: Path) -> None:
        port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ok = subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
            )
            if ok.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        stop_process(self.proc)
