"""Drive a load client (bench.clients.*) in its own process, one JSON line at a time."""

import json
import subprocess
import sys
import time
from pathlib import Path

from .paths import ROOT

#: The load clients: the serving ramp's Crowd, the stamp-reading one, the reconnecting one.
CROWD, STAMPED, STORM = "bench.clients.crowd", "bench.clients.stamped", "bench.clients.storm"


class LoadClient:
    """A load client process holding sockets against `server` (ws_url, origin, protocol).

    `cookies` maps user keys to Cookie headers: probe users "p0".. get one socket each,
    the others share the rest round-robin.
    """

    def __init__(
        self,
        module: str,
        server,
        cookies: dict[str, str],
        workdir: Path,
        compression: bool = True,
        protocol: str | None = None,
        *extra: str,
    ) -> None:
        cookies_file = workdir / f"cookies-{time.monotonic_ns()}.json"
        cookies_file.write_text(json.dumps(cookies))
        args = [
            sys.executable,
            "-m",
            module,
            "--ws-url",
            server.ws_url,
            "--origin",
            server.origin,
            "--cookies",
            str(cookies_file),
            "--protocol",
            protocol or server.protocol,
            *extra,
        ]
        if not compression:
            args.append("--no-compression")
        self.proc = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def call(self, cmd: str, **kwargs) -> dict:
        """Send one command; return its answer."""
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"load client exited ({self.proc.wait()}) during {cmd!r}")
        return json.loads(line)

    def quit(self) -> None:
        """Close every socket and end the process."""
        if self.proc.poll() is None:
            self.proc.stdin.write('{"cmd": "quit"}\n')
            self.proc.stdin.flush()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_hub_cases(cases, pg_url: str, workdir: Path) -> dict:
    """Run each bench.clients.gevent_hub case in a fresh process; return {case: result}."""
    results = {}
    for case in cases:
        out = subprocess.run(
            [sys.executable, "-m", "bench.clients.gevent_hub", "--case", case]
            + ["--pg-url", pg_url, "--dir", str(workdir)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        if out.returncode:
            results[case] = {"error": out.stderr.strip().splitlines()[-1:]}
        else:
            results[case] = json.loads(out.stdout)
        print(f"   hub {case}: {results[case]}", flush=True)
    return results
