"""How many WebSockets one gunicorn worker holds: gthread against gevent, and against the peers.

Run: .venv/bin/python -m bench serving [--modes gthread,gevent,peer_a,peer_b] [--steps 500,...]

For each worker class, one worker (PostgreSQL and a private Redis, as in production) is
loaded step by step with sockets from a load client process (bench.clients.crowd); each
step is bench.harness.ramp's. The ramp stops at the first step where a handshake fails,
a push goes missing or a p99 exceeds --p99-limit. Then the master gets SIGTERM with every
socket open, and the close codes the clients saw are counted. peer_a and peer_b are
ramped the same way, by the same client with the same users and steps, on the same
Redis; a publish to them is a Redis PUBLISH of a push Tocsin really sent earlier in the
run. The report gives Tocsin's memory per socket as a ratio to each peer's.
"""

import json
import os
import shutil
import time
from pathlib import Path

from bench.clients.gevent_hub import CASES as HUB_CASES
from bench.harness import cli, ramp, schemas, tocsin_app
from bench.harness.driver import CROWD, LoadClient, run_hub_cases
from bench.harness.machine import WorkerGone, cpu_percent, proc_stats, raise_nofile, stack_info
from bench.harness.peers import PeerA, PeerB, bench_cookies, peer_a_publisher, peer_b_publisher
from bench.harness.servers import Gunicorn, server_env
from bench.harness.services import Redis
from bench.harness.users import crowd_keys, login_all, probe_keys, username
from bench.report import emit

PG_SCHEMA = "tocsin_bench_serving"
MODES = ("gthread", "gevent")
PEERS = ("peer_a", "peer_b")
LABELS = {
    "gthread": "Tocsin gthread",
    "gevent": "Tocsin gevent",
    "peer_a": "peer A",
    "peer_b": "peer B",
}
PEER_PREFIX = "bench-serving-peer"
#: The targets of issue 5 for this measurement.
TARGET_SOCKETS = 5000
TARGET_MEMORY_RATIO = 2.0
STEPS = (500, 1000, 2000, 3000, 4000, 5000, 6000, 7500)
USERS = 50
PINGS = 200
PUBLISHES = 20
P99_LIMIT_S = 1.0
BUDGET_S = 240.0


def run_mode(mode: str, args, env, app, users, workdir, redis_url=None, template=None) -> dict:
    """Ramp one server: a Tocsin worker class, or a peer (then `redis_url`, `template`)."""
    print(f"== {mode}", flush=True)
    prefix = f"{PEER_PREFIX}-{mode}"
    if mode == "peer_a":
        server = PeerA(redis_url, prefix, template=template)
        publish = peer_a_publisher(redis_url, prefix)
    elif mode == "peer_b":
        server = PeerB(redis_url, prefix, template, max(args.steps) + 100, workdir / "peer-b.log")
        publish = peer_b_publisher(redis_url, prefix, template.read_text() if template else None)
    else:
        server, publish = Gunicorn(mode, env, workdir / f"gunicorn-{mode}.log"), None
    publisher = ramp.peer_publisher(publish) if publish else ramp.tocsin_publisher(app)
    result: dict = {"mode": mode, "steps": [], "stopped_because": "all steps held"}
    client = None
    try:
        if publish:
            cookies = bench_cookies(users)
            ramp.warm_up(server, cookies["c0"])
        else:
            cookies = login_all(server.url, {k: username("load", k) for k in users})
            capture = ramp.capture_push(app, users["c0"]) if args.capture_push else None
            result["push_template"] = ramp.warm_up(server, cookies["c0"], capture)
            if result["push_template"] is None:
                del result["push_template"]
        time.sleep(ramp.SETTLE_S)
        idle = proc_stats(server.worker_pid)
        result["idle"] = {**idle, "cpu_percent": cpu_percent(server.worker_pid, ramp.CPU_WINDOW_S)}
        print(f"   idle: {idle}", flush=True)
        client = LoadClient(CROWD, server, cookies, workdir, not args.no_compression)
        started = time.monotonic()
        for n in args.steps:
            if time.monotonic() - started > args.budget:
                result["stopped_because"] = f"time budget of {args.budget:.0f} s used"
                break
            try:
                step = ramp.measure_step(server, client, publisher, users, n, idle, args)
            except WorkerGone:
                step = {"target": n, "failures": ["worker died: " + server.log_excerpt()]}
            result["steps"].append(step)
            print(f"   {n}: {json.dumps(ramp.brief(step) if 'held' in step else step)}", flush=True)
            if step["failures"]:
                result["stopped_because"] = f"at {n}: " + "; ".join(step["failures"])
                break
        held = [s for s in result["steps"] if not s["failures"]]
        result["log_warnings"] = server.log_excerpt(10)
        result["max_held"] = max((s["held"] for s in held), default=0)
        result["shutdown"] = ramp.graceful_shutdown(server, client)
        print(f"   shutdown: {json.dumps(result['shutdown'])}", flush=True)
    finally:
        if client is not None:
            client.quit()
        if publish:
            publish.close()
        server.stop()
        if args.logs and server.log:
            args.logs.mkdir(parents=True, exist_ok=True)
            shutil.copy(server.log, args.logs)
    return result


def top_step(result: dict) -> dict | None:
    """The largest step a mode held with no failure."""
    return next((s for s in reversed(result["steps"]) if not s["failures"]), None)


def choose(results: dict) -> dict:
    """Pick the Tocsin mode that held the most sockets; on a tie, the one with less memory each."""
    results = {m: r for m, r in results.items() if m not in PEERS}

    def key(mode):
        top = top_step(results[mode])
        return (results[mode]["max_held"], -(top["rss_per_conn_kb"] if top else 0))

    best = max(results, key=key)
    why = f"{best} held {results[best]['max_held']} sockets in one worker" + "".join(
        f"; {m} held {r['max_held']} ({r['stopped_because']})"
        for m, r in results.items()
        if m != best
    )
    return {"mode": best, "why": why}


def peer_ratios(results: dict) -> list[dict]:
    """Tocsin's memory per socket (and sockets held) over each peer's, at each step both
    held, and at the largest such step (the figure the target is checked against)."""
    rows = []
    for mode in (m for m in results if m not in PEERS):
        for peer in (p for p in results if p in PEERS):
            ours = {s["target"]: s for s in results[mode]["steps"] if not s["failures"]}
            theirs = {s["target"]: s for s in results[peer]["steps"] if not s["failures"]}
            steps = []
            for n in sorted(set(ours) & set(theirs)):
                kb, peer_kb = ours[n]["rss_per_conn_kb"], theirs[n]["rss_per_conn_kb"]
                steps.append(
                    {
                        "target": n,
                        "tocsin_kb": kb,
                        "peer_kb": peer_kb,
                        "ratio": kb / peer_kb if peer_kb else None,
                    }
                )
            held = results[peer]["max_held"]
            rows.append(
                {
                    "tocsin": mode,
                    "peer": peer,
                    "steps": steps,
                    "memory_ratio": steps[-1]["ratio"] if steps else None,
                    "at": steps[-1]["target"] if steps else None,
                    "held_ratio": results[mode]["max_held"] / held if held else None,
                }
            )
    return rows


def report_context(data: dict) -> dict:
    """What the report template needs beyond the results: the constants it names."""
    names = ("PEERS", "LABELS", "TARGET_SOCKETS", "TARGET_MEMORY_RATIO")
    c = {name: globals()[name] for name in names}
    c |= {
        name: getattr(ramp, name)
        for name in (
            "PROBES",
            "FANOUTS",
            "PING_SPACING_S",
            "PUBLISH_SPACING_S",
            "SETTLE_S",
            "CPU_WINDOW_S",
            "GRACE_S",
        )
    }
    return {"c": c}


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "serving")
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"servers to ramp, in order, of {','.join(MODES + PEERS)}",
    )
    parser.add_argument("--steps", default=",".join(map(str, STEPS)))
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--pings", type=int, default=PINGS)
    parser.add_argument("--publishes", type=int, default=PUBLISHES)
    parser.add_argument("--p99-limit", type=float, default=P99_LIMIT_S, help="seconds")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds of ramp per mode")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--embedded-broker", action="store_true", help="no Redis (for Tocsin)")
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--no-hub", action="store_true", help="skip the gevent/driver cases")
    parser.add_argument("--logs", type=Path, help="copy the gunicorn logs into this folder")
    args = parser.parse_args(argv)
    if args.smoke:
        args.steps, args.users, args.pings, args.publishes = "10,20", 3, 5, 3
    args.modes = args.modes.split(",")
    args.steps = [int(s) for s in args.steps.split(",")]
    if unknown := set(args.modes) - set(MODES + PEERS):
        parser.error(f"unknown modes {sorted(unknown)}: choose from {MODES + PEERS}")
    tocsin = [m for m in args.modes if m not in PEERS]
    peers = [m for m in args.modes if m in PEERS]
    schema = schemas.schema_name(PG_SCHEMA, args.smoke)
    nofile = raise_nofile()
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    results, hub, template = {}, None, None
    keys = probe_keys(ramp.PROBES) + crowd_keys(args.users)
    users = {k: i + 1 for i, k in enumerate(keys)}  # the peers' users, without Tocsin
    with cli.workdir("tocsin-serving-") as workdir:
        redis = app = env = template_path = None
        try:
            extra = {
                "TOCSIN_BROKER_POLL_INTERVAL": "0.1",
                "TOCSIN_WORKER_CONNECTIONS": str(max(args.steps) + 100),
            }
            if peers or not args.embedded_broker:
                redis = Redis(workdir)
            if not args.embedded_broker:
                extra["TOCSIN_REDIS_URL"] = redis.url
            if tocsin:
                db_url = (
                    f"sqlite:///{workdir / 'bench.sqlite3'}"
                    if args.sqlite
                    else schemas.fresh_schema_url(schema)
                )
                env = server_env(workdir, db_url, **extra)
                os.environ.update({k: env[k] for k in ("TOCSIN_INSTANCE_PATH", *extra)})
                app = tocsin_app.make_app(db_url, env["TOCSIN_SECRET_KEY"])
                users = tocsin_app.create_users(app, {k: username("load", k) for k in keys})
            for mode in args.modes:
                # The first Tocsin mode captures a push for the peers to send (before they run).
                args.capture_push = bool(peers) and mode not in PEERS and template is None
                results[mode] = run_mode(
                    mode, args, env, app, users, workdir, redis and redis.url, template_path
                )
                if "push_template" in results[mode]:
                    template = results[mode].pop("push_template")
                    template_path = workdir / "push.html"
                    template_path.write_text(template)
            if tocsin and not args.no_hub:
                hub = run_hub_cases(HUB_CASES, schemas.PG_URL, workdir)
        finally:
            if app is not None:
                tocsin_app.dispose(app)
            if redis is not None:
                redis.stop()
            if tocsin and not args.sqlite:
                schemas.drop_schema(schema)
    data = {
        "settings": {
            "database": "SQLite" if args.sqlite else "PostgreSQL",
            "broker": "embedded database" if args.embedded_broker else "Redis",
            "compression": not args.no_compression,
            "users": args.users,
            "pings": args.pings,
            "publishes": args.publishes,
            "p99_limit_s": args.p99_limit,
            "steps": args.steps,
            "nofile": nofile,
            "modes": args.modes,
            **({"peer_template": template} if peers else {}),
        },
        "modes": results,
        "choice": choose(results) if tocsin else None,
        "ratios": peer_ratios(results),
        "hub": hub,
        "machine": stack_info(load_at_start),
    }
    emit(cli.out_dir(args), args.name, data, "serving", **report_context(data))


if __name__ == "__main__":
    main()
