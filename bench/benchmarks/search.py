"""Benchmark the inbox's filters and search on PostgreSQL: one user with 1,000,000 rows in
a 10,000,000-row table.

Run: .venv/bin/python -m bench search [--rows 10000000] [--heavy 1000000] [--users 10000]
     [--runs 3] [--smoke]

The table is made in the database (bench/harness/search_data.py: generate_series, the
secondary indexes built after the load, then VACUUM ANALYZE). Each case is the query the
inbox sends (`search.find`, one page of 20, newest first) for the heavy user: warmed once,
then timed `--runs` times; reported as median (min–max) in ms, with the plan's index and
the row count. Every page is checked: its rows are the user's, match the filter, come
newest first, and page 2 continues page 1 with nothing repeated. No peer: the baseline is
the unfiltered first page, measured in the same run.
"""

import os
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime

import psycopg
import sqlalchemy as sa

from bench.harness import cli, search_data, tocsin_app
from bench.harness.machine import machine_info
from bench.harness.schemas import PG_URL, drop_schema, fresh_schema_url, schema_name
from bench.report import emit
from tocsin.extensions import db
from tocsin.notifications import search
from tocsin.notifications.inbox_query import InboxQuery

PG_SCHEMA = "tocsin_bench_search"
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
MONTH = {"since": date(2025, 6, 1), "until": date(2025, 6, 30)}
#: (name, query, and whether to time page 2 by keyset as well)
CASES = [
    ("plain page", InboxQuery(), True),
    ("unread", InboxQuery(state="unread"), False),
    ("archived", InboxQuery(state="archived"), False),
    ("type (1)", InboxQuery(types=("payment",)), True),
    ("types (3)", InboxQuery(types=("comment", "order", "payment")), False),
    ("date range (June)", InboxQuery(**MONTH), True),
    ("q common word", InboxQuery(q="update"), True),
    ("q rare word", InboxQuery(q="zanzibar"), False),
    ("q prefix (pay)", InboxQuery(q="pay"), True),
    ("q two words", InboxQuery(q="reference payroll"), False),
    ("q + type", InboxQuery(q="update", types=("order",)), False),
    ("q + date range", InboxQuery(q="pay", **MONTH), False),
    ("type + date + unread", InboxQuery(state="unread", types=("payment",), **MONTH), False),
    ("q rare + unread", InboxQuery(state="unread", q="zanzibar"), False),
]


SCAN = re.compile(
    r"(Index Only Scan Backward|Index Scan Backward|Index Only Scan|Index Scan"
    r"|Bitmap Index Scan|Seq Scan) (?:using|on) (\S+)"
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(call, runs: int) -> tuple[list[float], object]:
    result = call()  # warm-up: caches, as a user's second look would be
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def spread(ms: list[float]) -> dict:
    return {"median": statistics.median(ms), "min": min(ms), "max": max(ms)}


def check(query: InboxQuery, page, uid: int) -> None:
    """Fail loudly unless every row is the user's, matches, and comes newest first."""
    positions = [n.position for n in page.items]
    assert positions == sorted(positions, reverse=True), "not newest first"
    for n in page.items:
        assert n.user_id == uid, "another user's row"
        assert not query.types or n.type in query.types, "type"
        text = f"{n.title} {n.body} {n.actor}".lower()
        assert all(w in text for w in search.words(query.q)), "words"
        day = n.latest_at.date()
        assert (query.since or day) <= day <= (query.until or day), "date"
        assert (query.state == "archived") == n.is_archived, "archived"
        assert query.state != "unread" or n.is_unread, "unread"


def plan_of(query: InboxQuery, uid: int) -> str:
    """The plan's index names, from EXPLAIN of the exact statement `find` sends."""
    statements: list = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", grab)
    try:
        search.find(db.session, uid, query, UTC)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", grab)
    statement, parameters = statements[-1]
    with db.engine.connect() as conn:
        lines = [r[0] for r in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)]
    return "; ".join(" ".join(m) for line in lines for m in SCAN.findall(line))


def measure(uid: int, runs: int) -> list[dict]:
    results = []
    for name, query, second in CASES:
        ms, page = timed(lambda q=query: search.find(db.session, uid, q, UTC), runs)
        check(query, page, uid)
        row = {"case": name, "url": query.query_string(), "rows": len(page.items)}
        row.update(ms=spread(ms), plan=plan_of(query, uid))
        if second and page.next_before:
            ms2, page2 = timed(
                lambda q=query, b=page.next_before: search.find(db.session, uid, q, UTC, b), runs
            )
            check(query, page2, uid)
            first_ids = {n.id for n in page.items}
            assert not first_ids & {n.id for n in page2.items}, "page 2 repeats page 1"
            assert page2.items[0].position < page.items[-1].position, "page 2 skipped"
            row["page2_ms"] = spread(ms2)
        counts_ms, _ = timed(lambda q=query: search.tab_counts(db.session, uid, q, UTC), runs)
        row["counts_ms"] = spread(counts_ms)
        results.append(row)
        db.session.rollback()
        log(f"  {name:24} {row['ms']['median']:8.2f} ms  {row['plan']}")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "search")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--heavy", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--keep", action="store_true", help="keep the schema (for --reuse)")
    parser.add_argument("--reuse", action="store_true", help="measure a kept schema again")
    parser.add_argument("--kept-load-s", type=float, help="with --reuse: the load's seconds")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rows, args.heavy, args.users = 200_000, 20_000, 200
    data: dict = {"rows": args.rows, "heavy": args.heavy, "users": args.users, "runs": args.runs}
    data["kept_load_s"] = args.kept_load_s
    started, load_before = time.perf_counter(), os.getloadavg()
    schema = schema_name(PG_SCHEMA, args.smoke)
    with cli.workdir("tocsin-bench-search-") as instance:
        os.environ["TOCSIN_INSTANCE_PATH"] = str(instance)
        try:
            sep = "&" if "?" in args.pg_url else "?"
            url = (
                f"{args.pg_url}{sep}options=-csearch_path%3D{schema}"
                if args.reuse
                else fresh_schema_url(schema, args.pg_url)
            )
            app = tocsin_app.make_app(url, "bench", TOCSIN_PRUNE_INTERVAL=0)
            try:
                with app.app_context():
                    t0 = time.perf_counter()
                    if not args.reuse:
                        db.create_all()
                        epoch = int(EPOCH.timestamp())
                        search_data.load(db.engine, args.rows, args.heavy, args.users, epoch, log)
                    data["load_s"] = None if args.reuse else time.perf_counter() - t0
                    data["version"] = db.session.scalar(sa.text("SHOW server_version"))
                    uid = search_data.HEAVY_USER
                    data["heavy_rows"] = db.session.scalar(
                        sa.text("SELECT count(*) FROM tocsin_notifications WHERE user_id = :u"),
                        {"u": uid},
                    )
                    data["cases"] = measure(uid, args.runs)
                    db.session.remove()
            finally:
                tocsin_app.dispose(app)
        finally:
            if not args.keep:
                drop_schema(schema, args.pg_url)
    data["machine"] = machine_info(
        postgresql_server=data.get("version"),
        psycopg=psycopg.__version__,
        load_avg_before=tuple(round(x, 2) for x in load_before),
    )
    data["wall_seconds"] = time.perf_counter() - started
    emit(cli.out_dir(args), args.name, data, "search")
    log(f"done in {data['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
