"""Benchmark `tocsin prune` on 1,000,000 notifications, SQLite and PostgreSQL, 3 runs each.

Run: .venv/bin/python -m bench prune [--rows 1000000] [--users 10000] [--runs 3]
     [--backends sqlite,postgresql] [--keep 1000] [--days 90] [--batch-size 2000] [--smoke]

Each run loads a fresh table in the database (bench/harness/prune_data.py: many users and
one heavy one, most rows read, some archived, ages over 200 days), then runs
`retention.prune` as `flask tocsin prune` does while a writer inserts a notification
every 20 ms, as live traffic would: its slowest commit is the lock a user would wait for.
Reported: total time, rows removed per second, the longest batch (the longest write
transaction) and the writer's waits, median of the runs with their spread, and checks
that the result is right (nothing young and unread gone, counters exact, no orphans).
"""

import os
import statistics
import sys
import threading
import time
from datetime import timedelta

import psycopg
import sqlalchemy as sa

from bench.harness import cli, prune_data, tocsin_app
from bench.harness.machine import machine_info
from bench.harness.schemas import PG_URL, drop_schema, fresh_schema_url, schema_name
from bench.harness.stats import ms_summary
from bench.report import emit
from tocsin.extensions import db
from tocsin.models import GroupMember, Held, Notification, Undo, UnreadCounter, utcnow
from tocsin.notifications import retention

N = Notification
READ = sa.or_(N.read_at.is_not(None), N.archived_at.is_not(None))
WRITER_USER = 2
WRITER_PAUSE_S = 0.02
#: The writer's rows' title (the loaded rows have others).
WRITER_TITLE = "live"
PG_SCHEMA = "tocsin_bench_prune"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def count(*where, model=N) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


class Writer(threading.Thread):
    """Insert a notification (and bump its counter) every 20 ms; time each commit."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(name="bench-writer", daemon=True)
        self.engine, self.stop, self.waits = engine, threading.Event(), []

    def run(self) -> None:
        while not self.stop.wait(WRITER_PAUSE_S):
            start = time.perf_counter()
            with self.engine.begin() as conn:
                conn.execute(
                    sa.insert(N).values(
                        user_id=WRITER_USER, type="comment", title=WRITER_TITLE, created_at=utcnow()
                    )
                )
                conn.execute(
                    sa.update(UnreadCounter)
                    .where(UnreadCounter.user_id == WRITER_USER)
                    .values(unread=UnreadCounter.unread + 1)
                )
            self.waits.append(time.perf_counter() - start)


def load(rows: int, users: int, now) -> float:
    start = time.perf_counter()
    db.drop_all()
    db.create_all()
    prune_data.load(
        db.engine, rows, users, int((now - timedelta(seconds=prune_data.SPAN_S)).timestamp())
    )
    expired = [now - timedelta(minutes=1), now + timedelta(days=1)]
    db.session.execute(
        sa.insert(Undo),
        [
            {
                "id": f"u{i}",
                "user_id": 3,
                "action": "delete",
                "payload": {},
                "expires_at": expired[i % 2],
            }
            for i in range(prune_data.UNDO_ROWS)
        ],
    )
    db.session.commit()
    prune_data.analyze(db.engine)
    return time.perf_counter() - start


def check(label: str, got, want) -> None:
    if got != want:
        raise AssertionError(f"{label}: got {got}, want {want}")


def verify(before: dict, done: retention.Pruned, writes: int, now, days: int, keep: int) -> dict:
    """Check the prune did what the rules say, no more; return the figures checked."""
    cutoff = now - timedelta(days=days)
    young_unread = N.read_at.is_(None), N.created_at >= cutoff
    after = {"rows": count(), "young_unread": count(*young_unread)}
    check("rows removed", before["rows"] + writes - after["rows"], done.rows)
    check("aged", done.aged, before["aged"])
    check("unread young rows kept", after["young_unread"], before["young_unread"] + writes)
    check("read or archived rows past retention", count(READ, N.created_at < cutoff), 0)
    # The cap as the prune saw it: the writer's rows came in while it ran, and once they
    # count, rows the cap kept would be ranked past it (the smoke test failed so).
    loaded = N.title != WRITER_TITLE
    for user_id in db.session.scalars(
        sa.select(N.user_id).where(loaded).group_by(N.user_id).having(sa.func.count() > keep)
    ).all():
        last = db.session.scalar(
            sa.select(N.position)
            .where(N.user_id == user_id, loaded)
            .order_by(N.position.desc())
            .offset(keep)
            .limit(1)
        )
        beyond = N.user_id == user_id, N.position <= last, loaded
        check(
            f"user {user_id}: removable rows past the cap",
            count(*beyond, sa.or_(READ, N.created_at < cutoff)),
            0,
        )
    unread_rows = (
        sa.select(sa.func.count())
        .where(N.user_id == UnreadCounter.user_id, N.read_at.is_(None))
        .scalar_subquery()
    )
    check(
        "counters that differ from the rows",
        count(UnreadCounter.unread != unread_rows, model=UnreadCounter),
        0,
    )
    for model in (GroupMember, Held):
        orphan = ~sa.exists().where(N.id == model.notification_id)
        check(f"orphan {model.__tablename__}", count(orphan, model=model), 0)
    check("expired undo left", count(Undo.expires_at < now, model=Undo), 0)
    db.session.remove()
    return {**after, "checked": True}


def one_run(rows: int, users: int, keep: int, days: int, batch_size: int) -> dict:
    now = utcnow()
    load_s = load(rows, users, now)
    cutoff = now - timedelta(days=days)
    before = {
        "rows": count(),
        "aged": count(READ, N.created_at < cutoff),
        "young_unread": count(N.read_at.is_(None), N.created_at >= cutoff),
    }
    db.session.remove()
    writer = Writer(db.engine)
    writer.start()
    done = retention.prune(db.session, keep, days, now=now, batch_size=batch_size)
    writer.stop.set()
    writer.join()
    db.session.remove()
    checked = verify(before, done, len(writer.waits), now, days, keep)
    batch = ms_summary(done.batch_seconds)
    return {
        "load_s": load_s,
        "before": before,
        "after": checked,
        "seconds": done.seconds,
        "removed": done.rows,
        "rows_per_s": done.rows / done.seconds,
        "aged": done.aged,
        "capped": done.capped,
        "unread_removed": done.unread,
        "members": done.members,
        "held": done.held,
        "undo": done.undo,
        "batches": done.batches,
        "pause_s": done.pause,
        "longest_ms": done.longest * 1000,
        "batch_ms": batch,
        "writer_ms": ms_summary(writer.waits),
    }


def spread(runs: list[dict], key: str) -> dict:
    values = [r[key] for r in runs]
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run_backend(name: str, url: str, instance: str, args) -> dict:
    os.environ["TOCSIN_INSTANCE_PATH"] = instance
    # The periodic prune stays off: this process prunes only when the benchmark says.
    app = tocsin_app.make_app(url, "bench", TOCSIN_PRUNE_INTERVAL=0, TOCSIN_CATCHUP_INTERVAL=0)
    runs = []
    try:
        with app.app_context():
            version = db.session.scalar(
                sa.text(
                    "SHOW server_version" if name == "postgresql" else "SELECT sqlite_version()"
                )
            )
            for i in range(args.runs):
                log(f"{name}: run {i + 1}/{args.runs}: load {args.rows:,} rows, prune")
                runs.append(one_run(args.rows, args.users, args.keep, args.days, args.batch_size))
                r = runs[-1]
                writer_max = r["writer_ms"]["max_ms"]
                log(
                    f"  {r['removed']:,} removed in {r['seconds']:.1f} s, {r['batches']} batches,"
                    f" longest {r['longest_ms']:.0f} ms, writer max {writer_max:.0f} ms"
                )
    finally:
        tocsin_app.dispose(app)
    summary = {
        key: spread(runs, key)
        for key in ("seconds", "rows_per_s", "longest_ms", "removed", "load_s")
    }
    summary["writer_max_ms"] = spread([{"v": r["writer_ms"]["max_ms"]} for r in runs], "v")
    return {"version": version, "runs": runs, "summary": summary}


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "prune")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--keep", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--batch-size", type=int, default=retention.BATCH_SIZE)
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)
    if args.smoke:
        args.rows, args.users, args.runs, args.keep, args.batch_size = 20_000, 200, 2, 100, 500
    data: dict = {
        "rows": args.rows,
        "users": args.users,
        "runs": args.runs,
        "keep": args.keep,
        "days": args.days,
        "batch_size": args.batch_size,
        "backends": {},
    }
    started, load_before = time.perf_counter(), os.getloadavg()
    for name in args.backends.split(","):
        with cli.workdir(f"tocsin-bench-prune-{name}-") as instance:
            if name == "postgresql":
                schema = schema_name(PG_SCHEMA, args.smoke)
                try:
                    url = fresh_schema_url(schema, args.pg_url)
                    data["backends"][name] = run_backend(name, url, str(instance), args)
                finally:
                    drop_schema(schema, args.pg_url)
            else:
                url = f"sqlite:///{instance}/bench.sqlite3"
                data["backends"][name] = run_backend(name, url, str(instance), args)
    versions = {f"{n}_server": r["version"] for n, r in data["backends"].items()}
    data["machine"] = machine_info(
        **versions,
        psycopg=psycopg.__version__,
        load_avg_before=tuple(round(x, 2) for x in load_before),
    )
    data["wall_seconds"] = time.perf_counter() - started
    emit(cli.out_dir(args), args.name, data, "prune")
    log(f"done in {data['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
