"""Benchmark one publish to 10,000 recipients in process: the pipeline's cost, features off and on.

Run: .venv/bin/python -m bench publish_fanout [--users 10000] [--rounds 5]
     [--backend postgresql|sqlite] [--features off|on|both] [--smoke]

No server and no sockets: one `notify_many()` to every user (validate, resolve, policy,
group, store, stage, commit, the broker's publish to a private Redis, the queue's
enqueue), timed from the call to its return (wall time, and this process's CPU time,
which other load moves less), with its SQL statements counted (`before_cursor_execute`).

- off: no preferences rows, no group key, TOCSIN_RATE_LIMIT empty, nobody reachable by
  push or email (bench.harness.features);
- on: every feature at work without changing who gets what: a preferences row each
  (quiet hours not in force, a different window per user; per-type choices), a group key
  of its own per publish, a rate limit counted in Redis and never reached, and a push and
  an email delivery staged per recipient and enqueued on the Huey queue;
- on_collapsing: as on, with one group key for every publish: after the warm-up every
  recipient's row grows instead of a new one being made (push and email: collapsed);
- on_quiet: as on, with quiet hours around now: every toast held (a `tocsin_held` row
  per recipient), push and email held too.

The on modes need the preferences table (migration 0008); on an older commit they are
reported as not run, so the same module measures before and after the policy stage.
"""

import os
import statistics
import sys
import time

from bench.harness import cli, features, schemas, tocsin_app
from bench.harness.machine import load_avg, machine_info
from bench.harness.services import Redis
from bench.harness.stats import summarize
from bench.harness.users import crowd_keys, username
from bench.report import emit

PG_SCHEMA = "tocsin_bench_publish_fanout"
MODES = {"off": ("off",), "on": ("on", "on_collapsing", "on_quiet")}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def expect(app, mode: str, title: str, n: int, ids: list[int], jobs0: tuple, first) -> list:
    """What a publish to `n` recipients should have left: rows, deliveries, holds, jobs."""
    if mode == "on_collapsing":  # every row grew: the warm-up's ids again, nothing enqueued
        if ids is first:
            return []
        jobs = tocsin_app.queued_jobs(app)[0] - jobs0[0]
        wrong = [] if ids == first else ["rows were made instead of grown"]
        return wrong + ([f"{jobs} jobs enqueued"] if jobs else [])
    if len(ids) != n or len(set(ids)) != n:
        return [f"{len(set(ids))} rows for {n} recipients"]
    if mode == "off":
        return []
    return features.check(app, title, [n], jobs0, quiet=mode == "on_quiet")["failures"]


def run_mode(app, user_ids: list[int], rounds: int, mode: str) -> dict:
    """One untimed publish to warm up, then `rounds` timed ones; their times and statements."""
    group = f"bench-{mode}" if mode == "on_collapsing" else None
    on = mode != "off"
    samples, cpu, statements, failures, first = [], [], [], [], None
    for r in range(rounds + 1):
        title = f"{mode} #{r}."
        content = {"group_key": group or f"{mode}-{time.time_ns()}"} if on else {}
        jobs0 = tocsin_app.queued_jobs(app)
        ids, count, took, used = tocsin_app.counted_fan_out(app, user_ids, title, **content)
        first = first or ids
        failures += [
            f"#{r}: {f}" for f in expect(app, mode, title, len(user_ids), ids, jobs0, first)
        ]
        if r == 0:
            continue  # the warm-up
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
        "failures": failures,
    }


def run(args, db_url: str, redis_url: str | None) -> dict:
    config = {"TOCSIN_REDIS_URL": redis_url, "TOCSIN_REDIS_CHANNEL_PREFIX": "bench-publish-fanout"}
    apps = {}
    try:
        for mode in features.modes(args.features):
            # An app per mode: the rate limit is read when the app is made.
            apps[mode] = tocsin_app.make_app(
                db_url, "publish-fanout-secret", **config, **features.settings(mode)
            )
        app = next(iter(apps.values()))
        names = {k: username("fan", k) for k in crowd_keys(args.users)}
        ids, _ = tocsin_app.create_users_bulk(app, names, counters=True)
        user_ids = list(ids.values())
        has_prefs = tocsin_app.has_table(app, "tocsin_preferences")
        modes: dict[str, dict | None] = {}
        publishes = 0
        for feature_mode, each in apps.items():
            if feature_mode == "on" and not has_prefs:
                modes.update(dict.fromkeys(MODES["on"]))  # before the policy stage
                continue
            if feature_mode == "on":
                features.switch_on(each, user_ids)
            for mode in MODES[feature_mode]:
                if mode == "on_quiet":
                    features.quiet_now(each, user_ids)
                modes[mode] = run_mode(each, user_ids, args.rounds, mode)
                publishes += (args.rounds + 1) if mode != "on_collapsing" else 1
        committed = tocsin_app.scalar(app, "SELECT count(*) FROM tocsin_notifications")
        if committed != len(user_ids) * publishes:
            raise RuntimeError(f"{committed} rows committed, {len(user_ids) * publishes} expected")
        failed = [f"{m}: {f}" for m, r in modes.items() if r for f in r["failures"]]
        if failed:
            raise RuntimeError("; ".join(failed[:10]))
        return {
            "modes": modes,
            "features": compare(modes),
            "committed": committed,
            "has_preferences": has_prefs,
            "dialect": tocsin_app.db_dialect(app),
        }
    finally:
        for each in apps.values():
            tocsin_app.dispose(each)


def compare(modes: dict) -> dict:
    """Each on mode's median time and CPU over the off mode's (target: on <= 1.2x off)."""
    off = modes.get("off")
    if not off:
        return {}
    return {
        mode: {
            "time": m["time"]["p50_ms"] / off["time"]["p50_ms"],
            "cpu": m["cpu"]["p50_ms"] / off["cpu"]["p50_ms"],
        }
        for mode, m in modes.items()
        if m and mode != "off"
    }


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "publish_fanout")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--features", default="both", choices=("off", "on", "both"))
    args = parser.parse_args(argv)
    if args.smoke:
        args.users, args.rounds = 30, 2
    load_before = load_avg()
    started = time.perf_counter()
    schema = schemas.schema_name(PG_SCHEMA, args.smoke)
    with cli.workdir("tocsin-publish-fanout-") as workdir:
        # The queue's SQLite file (without Redis) goes here, not into the repository.
        os.environ["TOCSIN_INSTANCE_PATH"] = str(workdir)
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
