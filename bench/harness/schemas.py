"""PostgreSQL schemas of the benchmarks' own, emptied before a run and dropped after it."""

import os

import sqlalchemy as sa

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def schema_name(base: str, smoke: bool = False) -> str:
    """A smoke run gets a schema of its own process, so runs side by side never meet."""
    return f"{base}_smoke_{os.getpid()}" if smoke else base


def fresh_schema_url(schema: str, pg_url: str = PG_URL) -> str:
    """Empty (or create) a PostgreSQL schema; return a URL whose search_path is it."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in pg_url else "?"
    return f"{pg_url}{sep}options=-csearch_path%3D{schema}"


def drop_schema(schema: str, pg_url: str = PG_URL) -> None:
    """Drop a benchmark's PostgreSQL schema and everything in it."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()
