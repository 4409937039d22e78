"""A throwaway PostgreSQL cluster on a free port, for tests that restart the database.

The machine's shared server must never be restarted under other tests, so these get a
cluster of their own: initdb into a temporary folder, pg_ctl to start and restart it. Both
refuse to run as root; as root they run as the ``postgres`` user (runuser).
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.support import free_port

#: Debian's layout; the newest installed version wins.
PG_CTL_GLOB = "/usr/lib/postgresql/*/bin/pg_ctl"
OWNER = "postgres"


def _unavailable(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"TOCSIN_REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


class PostgresServer:
    """initdb, start, restart (``pg_ctl restart -m fast``) and remove a private cluster."""

    def __init__(self) -> None:
        found = sorted(glob.glob(PG_CTL_GLOB))
        if not found:
            _unavailable(f"no PostgreSQL server binaries ({PG_CTL_GLOB})")
        self.bin = Path(found[-1]).parent
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            try:
                owner = pwd.getpwnam(OWNER)
            except KeyError:
                owner = None
            if runuser is None or owner is None:
                _unavailable(f"running as root without runuser or a {OWNER!r} user")
            self.as_owner = [runuser, "-u", OWNER, "--"]
        self.root = Path(tempfile.mkdtemp(prefix="tocsin-pg-"))
        if self.as_owner:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self.as_owner, str(self.bin / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} {args[:1]} failed: {done.stderr}{done.stdout}\n{tail}")

    def _ctl(self, *args: str) -> None:
        self._pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            *args,
        )

    def start(self) -> "PostgresServer":
        if not self.data.exists():
            self._pg(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=100"
        )
        self._ctl("-o", options, "start")
        return self

    def restart(self) -> None:
        """Restart as an operator would: every session is cut (-m fast), options kept."""
        self._ctl("-m", "fast", "restart")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
