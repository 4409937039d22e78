"""Benchmark one publish to 10,000 recipients in process: the policy stage's cost.

Run: .venv/bin/python -m bench publish_fanout [--users 10000] [--rounds 5]
     [--backend postgresql|sqlite] [--modes defaults,held] [--smoke]

No server and no sockets: one `notify_many()` to every user (validate, resolve, policy
with the default rate limit counted in a private Redis, store, commit, the broker's
publish to that Redis), timed from the call to its
return (wall time, and this process's CPU time, which other load moves less), with its
SQL statements counted (`before_cursor_execute`).

- defaults: no preferences row for anyone (most users; the policy decides once);
- held: a preferences row for every recipient with quiet hours around now, so every
  toast is held and a `tocsin_held` row inserted per recipient: the worst case.

The held mode needs the preferences table (migration 0008); on an older commit it is
reported as not run, so the same module measures before and after the policy stage.
"""

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.harness import cli, schemas, tocsin_app
from bench.harness.machine import load_avg, machine_info
from bench.harness.services import Redis
from bench.harness.stats import summarize
from bench.harness.users import crowd_keys, username
from bench.report import emit

PG_SCHEMA = "tocsin_bench_publish_fanout"
MODES = ("defaults", "held")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def quiet_around_now() -> tuple[str, str]:
    """Quiet hours (UTC "HH:MM") from an hour ago to an hour from now."""
    now = datetime.now(UTC)
    return (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=1)).strftime(
        "%H:%M"
    )


def run_mode(app, user_ids: list[int], rounds: int, mode: str) -> dict:
    """One untimed publish to warm up, then `rounds` timed ones; their times and statements."""
    tocsin_app.fan_out(app, user_ids, f"warm-up {mode}")
    samples, cpu, statements = [], [], []
    for r in range(rounds):
        ids, count, took, used = tocsin_app.counted_fan_out(app, user_ids, f"{mode} #{r}")
        if len(ids) != len(user_ids):
            raise RuntimeError(f"{mode}: {len(ids)} rows for {len(user_ids)} recipients")
        samples.append(took)
        cpu.append(used)
        statements.append(count)
        log(f"{mode} #{r}: {took * 1000:.0f} ms, {used * 1000:.0f} ms CPU, {count} statements")
    return {
        "time": summarize(samples),
        # Less moved by other work on the machine than the wall time.
        "cpu": summarize(cpu),
        "samples_ms": [s * 1000 for s in samples],
        "statements": statements,
        "per_recipient_us": statistics.median(samples) / len(user_ids) * 1e6,
    }


def run(args, db_url: str, redis_url: str | None) -> dict:
    app = tocsin_app.make_app(
        db_url,
        "publish-fanout-secret",
        TOCSIN_REDIS_URL=redis_url,
        TOCSIN_REDIS_CHANNEL_PREFIX="bench-publish-fanout",
        # The default, counted in Redis: the policy stage's cost includes the limiter's.
        # (Each user gets 6 a mode, under the limit: every toast still goes out.)
        TOCSIN_RATE_LIMIT=args.rate_limit,
    )
    try:
        names = {k: username("fan", k) for k in crowd_keys(args.users)}
        ids, _ = tocsin_app.create_users_bulk(app, names, counters=True)
        user_ids = list(ids.values())
        has_prefs = tocsin_app.has_table(app, "tocsin_preferences")
        modes: dict[str, dict | None] = {}
        publishes = 0
        for mode in args.modes.split(","):
            if mode == "held":
                if not has_prefs:
                    modes[mode] = None  # before the policy stage: nothing to hold with
                    continue
                tocsin_app.quiet_everyone(app, user_ids, *quiet_around_now())
            modes[mode] = run_mode(app, user_ids, args.rounds, mode)
            publishes += args.rounds + 1
            if mode == "held":
                held = tocsin_app.scalar(app, "SELECT count(*) FROM tocsin_held")
                modes[mode]["held_rows"] = held
                if held != len(user_ids) * (args.rounds + 1):
                    raise RuntimeError(f"held: {held} rows, not one per recipient and publish")
        committed = tocsin_app.scalar(app, "SELECT count(*) FROM tocsin_notifications")
        if committed != len(user_ids) * publishes:
            raise RuntimeError(f"{committed} rows committed, {len(user_ids) * publishes} expected")
        return {
            "modes": modes,
            "committed": committed,
            "has_preferences": has_prefs,
            "dialect": tocsin_app.db_dialect(app),
        }
    finally:
        tocsin_app.dispose(app)


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "publish_fanout")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument(
        "--rate-limit",
        default="10/minute",
        help='TOCSIN_RATE_LIMIT for the run ("" = off: the limiter\'s share of the cost)',
    )
    args = parser.parse_args(argv)
    if unknown := set(args.modes.split(",")) - set(MODES):
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    if args.smoke:
        args.users, args.rounds = 30, 2
    load_before = load_avg()
    started = time.perf_counter()
    schema = schemas.schema_name(PG_SCHEMA, args.smoke)
    with cli.workdir("tocsin-publish-fanout-") as workdir:
        redis = None
        try:
            if args.backend == "postgresql":
                redis = Redis(workdir)
                db_url = schemas.fresh_schema_url(schema)
            else:
                db_url = f"sqlite:///{workdir / 'publish.sqlite3'}"
            data = run(args, db_url, redis and redis.url)
        finally:
            if redis is not None:
                redis.stop()
            if args.backend == "postgresql":
                schemas.drop_schema(schema)
    data |= {"users": args.users, "rounds": args.rounds, "backend": args.backend}
    data["machine"] = machine_info(load_avg_before=tuple(round(x, 2) for x in load_before))
    data["wall_seconds"] = time.perf_counter() - started
    emit(cli.out_dir(args), args.name, data, "publish_fanout")


if __name__ == "__main__":
    main()
