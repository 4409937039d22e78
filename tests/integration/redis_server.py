"""A throwaway redis-server on a free port, for tests that stop and restart Redis."""

import shutil
import subprocess
import time

import pytest
import redis

from tests.conftest import REQUIRE_SERVICES
from tests.support import free_port


class RedisServer:
    def __init__(self, workdir) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            if REQUIRE_SERVICES:
                pytest.fail("redis-server is required but not installed")
            pytest.skip("redis-server not installed")
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    client.ping()
                    return self
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
