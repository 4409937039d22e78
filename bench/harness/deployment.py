"""Tocsin deployed for a benchmark: its database, its broker, gunicorn, and an app in the
bench's own process on the same database and broker (to publish and to check)."""

import os
from pathlib import Path

from . import schemas, tocsin_app
from .servers import Gunicorn, server_env
from .services import Redis


class Deployment:
    """PostgreSQL in `schema` (or SQLite with `sqlite`), a private Redis (or, without
    `redis`, the embedded database broker), and `serve()` for a gunicorn worker.

    The settings go to the server's environment and to this process's, so the app made
    here uses the same database and broker as the server.
    """

    def __init__(
        self,
        workdir: Path,
        schema: str | None = None,
        *,
        sqlite: bool = False,
        redis: bool = True,
        prefix: str | None = None,
        connections: int = 100,
        poll: str | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.workdir, self.schema = workdir, None if sqlite else schema
        self.redis = self.app = self.server = None
        try:
            self.redis = Redis(workdir) if redis else None
            if sqlite:
                self.db_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            else:
                self.db_url = schemas.fresh_schema_url(schema)
            # `settings` (TOCSIN_* strings) go to the server and to the app made here alike.
            extra = {"TOCSIN_WORKER_CONNECTIONS": str(connections), **(settings or {})}
            if poll:
                extra["TOCSIN_BROKER_POLL_INTERVAL"] = poll
            if self.redis:
                extra["TOCSIN_REDIS_URL"] = self.redis.url
                if prefix:
                    extra["TOCSIN_REDIS_CHANNEL_PREFIX"] = prefix
            self.env = server_env(workdir, self.db_url, **extra)
            if not self.redis:
                self.env.pop("TOCSIN_REDIS_URL", None)
                os.environ.pop("TOCSIN_REDIS_URL", None)
            os.environ.update({k: self.env[k] for k in ("TOCSIN_INSTANCE_PATH", *extra)})
            secret = self.env["TOCSIN_SECRET_KEY"]
            self.app = tocsin_app.make_app(self.db_url, secret, **(settings or {}))
        except BaseException:
            self.stop()
            raise

    @property
    def redis_url(self) -> str | None:
        return self.redis.url if self.redis else None

    def serve(
        self, worker_class: str = "gevent", log: str = "gunicorn.log", workers: int = 1
    ) -> Gunicorn:
        """Start gunicorn with `workers` workers (one, as a rule) of `worker_class`."""
        self.server = Gunicorn(worker_class, self.env, self.workdir / log, workers)
        return self.server

    def stop(self) -> None:
        """Stop the server, the app's broker listener, Redis; drop the schema."""
        if self.server is not None:
            self.server.stop()
        if self.app is not None:
            tocsin_app.dispose(self.app)
        if self.redis is not None:
            self.redis.stop()
        if self.schema:
            schemas.drop_schema(self.schema)

    def __enter__(self) -> "Deployment":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
