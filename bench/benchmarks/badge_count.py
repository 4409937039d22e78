"""Benchmark the badge count and the first panel page for one user with up to 1M notifications.

Run: .venv/bin/python -m bench badge_count [--sizes 100,100000,1000000]
     [--backends sqlite,postgresql] [--runs 200] [--pg-url URL] [--smoke]

Tocsin reads the badge from a counter row (queries.unread_count); the peer is the
naive `SELECT count(*) ... WHERE user_id = ? AND read_at IS NULL`, measured in the
same run, on the same data, through the same session.
"""

import os
import sys
import time
from collections.abc import Callable

import psycopg
import sqlalchemy as sa

from app.models import User
from bench.harness import cli, tocsin_app
from bench.harness.datasets import (
    UNREAD_EVERY,
    Backend,
    backends,
    create_partial_indexes,
    drop_partial_indexes,
    load,
)
from bench.harness.machine import machine_info
from bench.harness.schemas import PG_URL, schema_name
from bench.harness.stats import summarize
from bench.report import emit
from tocsin.extensions import db
from tocsin.models import Notification, utcnow
from tocsin.notifications import queries, service

SIZES = (100, 100_000, 1_000_000)
PAGE_SIZE = 20
RUNS = 200
MIN_RUNS = 30
BUDGET_S = 20.0  # a slow query stops after this long (but not before MIN_RUNS runs)
WARMUP_ROUNDS = 50  # warm-up: at most this many rounds, at least 2, stopping after WARMUP_S
WARMUP_S = 1.0
NAIVE_SQL = "SELECT count(*) FROM tocsin_notifications WHERE user_id = :user_id AND read_at IS NULL"
BADGE_SQL = "SELECT unread FROM tocsin_unread_counters WHERE user_id = :user_id"
TABLE = Notification.__table__
PG_SCHEMA = "tocsin_bench"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def time_interleaved(
    measures: dict[str, Callable[[], object]], runs: int, budget_s: float
) -> dict[str, dict]:
    """Time the measures round-robin, so drift hits each alike; each call gets a fresh
    session (not timed), as a request would. A measure stops after `runs` calls, or once
    its calls took `budget_s` in total (but not before MIN_RUNS calls)."""
    warm_until = time.perf_counter() + WARMUP_S
    for round_ in range(WARMUP_ROUNDS):
        for fn in measures.values():
            fn()
            db.session.remove()
        if round_ >= 1 and time.perf_counter() > warm_until:
            break
    samples: dict[str, list[float]] = {key: [] for key in measures}
    spent = dict.fromkeys(measures, 0.0)
    active = set(measures)
    while active:
        for key, fn in measures.items():
            if key not in active:
                continue
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            db.session.remove()
            samples[key].append(elapsed)
            spent[key] += elapsed
            n = len(samples[key])
            if n >= runs or (n >= MIN_RUNS and spent[key] >= budget_s):
                active.discard(key)
    return {key: summarize(values) for key, values in samples.items()}


def plan(backend: Backend, sql: str, params: dict, tag: str) -> list[str]:
    # The tag makes the text unique: pysqlite caches prepared statements, and a cached
    # EXPLAIN never notices a schema change (such as the partial index coming and going).
    rows = db.session.execute(sa.text(f"{backend.explain} {sql} /* {tag} */"), params).all()
    db.session.remove()
    return [" ".join(str(c) for c in row) if len(row) > 1 else str(row[0]) for row in rows]


def page_sql(user_id: int) -> str:
    """Render the first-page statement queries.page() issues, for EXPLAIN."""
    stmt = (
        sa.select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    compiled = stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    return str(compiled)


def check(label: str, got: int, want: int) -> None:
    if got != want:
        raise AssertionError(f"{label}: got {got}, want {want}")


def verify(user_id: int, size: int) -> dict:
    """Check counter == count(*) == size/10, also across a create and a mark-read."""
    expected = size // UNREAD_EVERY
    check("counter", queries.unread_count(db.session, user_id), expected)
    check("count(*)", queries.count_unread_rows(db.session, user_id), expected)
    created = service.create(db.session, user_id, type="comment", title="verify")
    check("counter after create", queries.unread_count(db.session, user_id), expected + 1)
    check("count(*) after create", queries.count_unread_rows(db.session, user_id), expected + 1)
    service.mark_read(db.session, user_id, created.id)
    check("counter after read", queries.unread_count(db.session, user_id), expected)
    check("count(*) after read", queries.count_unread_rows(db.session, user_id), expected)
    db.session.delete(created)  # read already, so the counter is unaffected
    db.session.commit()
    first = queries.page(db.session, user_id, None, PAGE_SIZE)
    check("page length", len(first.items), min(PAGE_SIZE, size))
    check("page newest", first.newest_id, queries.latest_id(db.session, user_id))
    if first.items[0].created_at.tzinfo is None:
        raise AssertionError("page: created_at came back naive")
    db.session.remove()
    return {"counter": expected, "count_star": expected, "write_path_checked": True}


def measure_size(backend: Backend, user_id: int, size: int, runs: int, budget: float) -> dict:
    params = {"user_id": user_id}
    fast: dict[str, Callable[[], object]] = {
        "floor": lambda: db.session.scalar(sa.text("SELECT 1")),
        "tocsin": lambda: queries.unread_count(db.session, user_id),
        "tocsin_sql": lambda: db.session.scalar(sa.text(BADGE_SQL), params),
        "page": lambda: queries.page(db.session, user_id, None, PAGE_SIZE),
    }
    naive = {"naive": lambda: db.session.scalar(sa.text(NAIVE_SQL), params)}
    out: dict = {"rows": size, "unread": size // UNREAD_EVERY}
    # The scans run in their own block: interleaved, they would evict the caches the
    # fast queries run from, and the fast columns would measure the scan's aftermath.
    log(f"  {backend.name} {size:>9,} rows: {', '.join(fast)}")
    out.update(time_interleaved(fast, runs, budget))
    log(f"  {backend.name} {size:>9,} rows: naive")
    out.update(time_interleaved(naive, runs, budget))
    tag = f"{size} rows"
    out["plans"] = {
        "tocsin": plan(backend, BADGE_SQL, params, tag),
        "naive": plan(backend, NAIVE_SQL, params, tag),
        "page": plan(backend, page_sql(user_id), {}, tag),
    }
    out["partial_index"] = create_partial_indexes(db.engine, TABLE, backend)
    log(f"  {backend.name} {size:>9,} rows: count(*) with the partial index")
    partial = {"naive_partial": lambda: db.session.scalar(sa.text(NAIVE_SQL), params)}
    out.update(time_interleaved(partial, runs, budget))
    out["plans"]["naive_partial"] = plan(backend, NAIVE_SQL, params, f"{tag}, partial index")
    drop_partial_indexes(db.engine, TABLE)
    out["ratio_tocsin_naive"] = out["tocsin"]["p50_ms"] / out["naive"]["p50_ms"]
    out["ratio_tocsin_naive_partial"] = out["tocsin"]["p50_ms"] / out["naive_partial"]["p50_ms"]
    return out


def mark_all_read_twice(backend: Backend, user_id: int, size: int) -> dict:
    """Time "mark all as read" over every unread row without, then with the partial index."""
    since = utcnow()
    without = mark_all_read_once(user_id, size)
    with db.engine.begin() as conn:
        table = Notification.__table__
        conn.execute(
            sa.update(table)
            .where(table.c.user_id == user_id, table.c.read_at >= since)
            .values(read_at=None)
        )
    check("recount after reset", service.recount_unread(db.session, user_id), size // UNREAD_EVERY)
    db.session.remove()
    backend.after_load(db.engine)
    indexes = create_partial_indexes(db.engine, TABLE, backend)
    return {
        "without_partial_index": without,
        "with_partial_index": {**mark_all_read_once(user_id, size), "indexes": indexes},
    }


def mark_all_read_once(user_id: int, size: int) -> dict:
    """Time one "mark all as read" over every unread row, then re-check the counter."""
    up_to = queries.latest_id(db.session, user_id)
    db.session.remove()
    start = time.perf_counter()
    ids = service.mark_all_read(db.session, user_id, up_to)
    elapsed = time.perf_counter() - start
    db.session.remove()
    check("mark_all_read ids", len(ids), size // UNREAD_EVERY)
    check("counter after mark_all_read", queries.unread_count(db.session, user_id), 0)
    check("count(*) after mark_all_read", queries.count_unread_rows(db.session, user_id), 0)
    db.session.remove()
    return {"rows": size, "marked": len(ids), "seconds": elapsed}


def run_backend(backend: Backend, instance: str, sizes: list[int], runs: int, budget: float):
    os.environ["TOCSIN_INSTANCE_PATH"] = instance
    backend.setup()
    app = None
    try:
        config = {"SQLALCHEMY_ENGINE_OPTIONS": backend.engine_options}
        app = tocsin_app.make_app(
            backend.url, "bench", **(config if backend.engine_options else {})
        )
        with app.app_context():
            db.create_all()
            drop_partial_indexes(db.engine, TABLE)  # put back only for the "+ partial index" column
            # "!" is no valid hash: the bench user can never log in.
            user = User(username="bench", password_hash="!")  # noqa: S106
            db.session.add(user)
            db.session.commit()
            user_id = user.id
            result: dict = {"version": backend.version(db.session), "sizes": [], "loads": []}
            loaded = 0
            for size in sizes:
                log(f"{backend.name}: loading rows {loaded + 1:,}..{size:,}")
                start = time.perf_counter()
                load(db.engine, backend, user_id, loaded + 1, size)
                backend.after_load(db.engine)
                recount = service.recount_unread(db.session, user_id)
                check("recount_unread", recount, size // UNREAD_EVERY)
                result["loads"].append(
                    {"rows": size - loaded, "seconds": time.perf_counter() - start}
                )
                loaded = size
                verify(user_id, size)
                entry = measure_size(backend, user_id, size, runs, budget)
                entry["verified"] = True
                result["sizes"].append(entry)
            result["mark_all_read"] = mark_all_read_twice(backend, user_id, loaded)
            db.session.remove()
            db.engine.dispose()
        return result
    finally:
        backend.teardown()


def report_context(data: dict) -> dict:
    return {"unread_every": UNREAD_EVERY}


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "badge_count")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds per measure")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.runs, args.budget = "100,200", 5, 1.0
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if any(s % UNREAD_EVERY for s in sizes):
        parser.error(f"sizes must be multiples of {UNREAD_EVERY}")
    schema = schema_name(PG_SCHEMA, args.smoke)
    data: dict = {"sizes": sizes, "runs": args.runs, "budget_s": args.budget, "backends": {}}
    started = time.perf_counter()
    load_before = os.getloadavg()
    for name in args.backends.split(","):
        with cli.workdir(f"tocsin-bench-{name}-") as instance:
            backend = backends(args.pg_url, str(instance), schema)[name]
            data["backends"][name] = run_backend(
                backend, str(instance), sizes, args.runs, args.budget
            )
    versions = {f"{n}_server": r["version"] for n, r in data["backends"].items()}
    data["machine"] = machine_info(
        **versions,
        psycopg=psycopg.__version__,
        load_avg_before=tuple(round(x, 2) for x in load_before),
    )
    data["wall_seconds"] = time.perf_counter() - started
    emit(cli.out_dir(args), args.name, data, "badge_count", **report_context(data))
    log(f"done in {data['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
