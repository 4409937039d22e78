"""What one PUBLISH costs Redis as workers are added: where pub/sub becomes the limit.

Run: .venv/bin/python -m bench pubsub [--subscribers 0,1,4,16] [--publishes 200000]

Every Tocsin worker holds one `PSUBSCRIBE <prefix>:user:*`, so every PUBLISH is matched
against every pattern and written to every worker, whichever holds the user's sockets.
On a private redis-server, for each number of subscribers (stand-ins for workers that
read and discard, bench.clients.drain), `redis-benchmark` sends `--publishes` events of
Tocsin's size over pipelined connections, in three shapes:

- pattern: each subscriber PSUBSCRIBEs `bench:user:*`, PUBLISH to `bench:user:<random>`
  (Tocsin today: each publish reaches every subscriber);
- channel: each subscriber SUBSCRIBEs its own `bench:worker:<n>`, PUBLISH to one of them
  (routing to the worker that holds the user: each publish reaches one);
- sharded: the same with SSUBSCRIBE/SPUBLISH (Redis 7 sharded pub/sub, one node here);
- pattern-py: pattern, each subscriber listening as Tocsin's broker does (redis-py,
  the JSON decoded): its CPU per message is what a worker spends on every event,
  whoever holds the user's sockets.

The figures are Redis's own CPU per PUBLISH (/proc/<pid>/stat from the first publish
until every subscriber's output buffer is empty; Redis runs commands on one thread, so
1 / that is the most one Redis can take), and the time inside the command itself
(INFO commandstats' usec_per_call: matching the patterns, copying to each subscriber).
Every subscriber must count every message meant for it (none lost).
"""

import signal
import subprocess
import sys
import time

import redis

from bench.harness import cli
from bench.harness.machine import cpu_seconds, load_avg, machine_info
from bench.harness.paths import ROOT
from bench.harness.services import Redis, stop_process
from bench.report import emit

#: What Tocsin's broker publishes for one new notification (origin, kind, ids).
PAYLOAD = '{"origin": "5f0c6e1d9a2b4c37", "event": {"kind": "created", "ids": [1234567]}}'
SHAPES = {
    # shape: (subscribe command, its channel for subscriber i, publish command, channel)
    "pattern": ("PSUBSCRIBE", lambda i: "bench:user:*", "PUBLISH", "bench:user:__rand_int__"),
    "channel": ("SUBSCRIBE", lambda i: f"bench:worker:{i:012d}", "PUBLISH", None),
    "sharded": ("SSUBSCRIBE", lambda i: f"bench:worker:{i:012d}", "SPUBLISH", None),
    "pattern-py": ("PSUBSCRIBE", lambda i: "bench:user:*", "PUBLISH", "bench:user:__rand_int__"),
}


def subscribers_of(client: redis.Redis) -> list[dict]:
    """The clients holding a subscription of any kind."""
    return [
        c for c in client.client_list() if any(int(c.get(k) or 0) for k in ("sub", "psub", "ssub"))
    ]


def drained(client: redis.Redis) -> bool:
    """No subscriber has output waiting in Redis."""
    return all(int(c.get("omem") or 0) == 0 for c in subscribers_of(client))


def counted(drains: list, want: int, patience: float = 3.0) -> tuple[int, float]:
    """Ask every subscriber for its count (SIGUSR1) until they hold `want` messages, or
    the sum stops growing for `patience` s; return it and their CPU seconds."""
    best, since = -1, time.monotonic()
    while True:
        got, cpu = 0, 0.0
        for d in drains:
            d.send_signal(signal.SIGUSR1)
            n, s = d.stdout.readline().split()
            got, cpu = got + int(n), cpu + float(s)
        if got >= want or time.monotonic() - since > patience:
            return got, cpu
        if got > best:
            best, since = got, time.monotonic()
        time.sleep(0.05)


def one(port: int, shape: str, subscribers: int, publishes: int) -> dict:
    sub_cmd, channel_of, pub_cmd, channel = SHAPES[shape]
    client = redis.Redis(port=port, decode_responses=True)
    drains = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.clients.drain", "--port", str(port)]
            + (["--redis-py"] if shape.endswith("-py") else [])
            + [sub_cmd, channel_of(i)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(subscribers)
    ]
    try:
        deadline = time.monotonic() + 20
        while len(subscribers_of(client)) < subscribers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(subscribers_of(client))} subscribed")
            time.sleep(0.05)
        # A routed publish picks one of the subscribers' channels (__rand_int__ < -r).
        keys = 1_000_000 if channel else max(subscribers, 1)
        target = channel or "bench:worker:__rand_int__"
        pid = int(client.info("server")["process_id"])
        client.config_resetstat()
        cpu0, start = cpu_seconds(pid), time.perf_counter()
        subprocess.run(
            ["redis-benchmark", "-p", str(port), "-n", str(publishes), "-c", "4", "-P", "32"]
            + ["-r", str(keys), "-q", pub_cmd, target, PAYLOAD],
            check=True,
            capture_output=True,
        )
        sent_s = time.perf_counter() - start
        while not drained(client):
            time.sleep(0.01)
        cpu_s = cpu_seconds(pid) - cpu0
        # redis-benchmark rounds up to whole pipelines: count what Redis took.
        stats = client.info("commandstats")[f"cmdstat_{pub_cmd.lower()}"]
        sent = int(stats["calls"])
        want = sent * subscribers if shape.startswith("pattern") else sent * bool(subscribers)
        got, sub_cpu = counted(drains, want)
        all_s = time.perf_counter() - start
    finally:
        for d in drains:
            stop_process(d)
        client.close()
    return {
        "shape": shape,
        "subscribers": subscribers,
        "publishes": sent,
        "publishes_per_s": sent / sent_s,
        "delivered_per_s": got / all_s,
        "redis_cpu_s": cpu_s,
        "redis_cpu_us_per_publish": cpu_s / sent * 1e6,
        # Redis's own clock inside the command: the matching and the copying into each
        # subscriber's buffer, without reading the request or writing the sockets.
        "command_us_per_publish": float(stats["usec_per_call"]),
        "ceiling_publishes_per_s": sent / cpu_s if cpu_s else None,
        "delivered": got,
        # The subscribers' CPU from their subscription on, per message they counted.
        "subscriber_cpu_us_per_message": sub_cpu / got * 1e6 if got else None,
        "expected": want,
        "lost": want - got,
    }


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__, "pubsub")
    parser.add_argument("--subscribers", default="0,1,4,16")
    parser.add_argument("--publishes", type=int, default=200_000)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args(argv)
    if args.smoke:
        args.subscribers, args.publishes = "0,1,2", 2_000
    counts = [int(n) for n in args.subscribers.split(",")]
    load_at_start = load_avg()
    rows = []
    with cli.workdir("tocsin-pubsub-") as workdir:
        server = Redis(workdir)
        try:
            port = int(server.url.rsplit(":", 1)[1].split("/")[0])
            admin = redis.Redis(port=port)
            # Slow readers must not be cut off: the limit is what is measured, not buffers.
            admin.config_set("client-output-buffer-limit", "pubsub 0 0 0")
            admin.close()
            for shape in args.shapes.split(","):
                for n in counts:
                    row = one(port, shape, n, args.publishes)
                    print(
                        f"{shape:8} {n:3} subscribers: {row['publishes_per_s']:9,.0f} PUBLISH/s, "
                        f"Redis {row['redis_cpu_us_per_publish']:.2f} µs CPU each, "
                        f"{row['delivered']:,}/{row['expected']:,} delivered",
                        flush=True,
                    )
                    rows.append(row)
        finally:
            server.stop()
    data = {
        "settings": {"publishes": args.publishes, "payload": PAYLOAD, "subscribers": counts},
        "rows": rows,
        "machine": machine_info(
            load_avg_at_start=load_at_start,
            redis_server=subprocess.run(
                ["redis-server", "--version"], capture_output=True, text=True
            ).stdout.strip(),
        ),
    }
    emit(cli.out_dir(args), args.name, data, "pubsub")
    if any(r["lost"] for r in rows):
        sys.exit("some subscribers missed messages: see the table")


if __name__ == "__main__":
    main()
