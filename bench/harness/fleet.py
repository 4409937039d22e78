"""The fan-out's rounds, against one server or several behind one Redis (bench fanout).

`Fleet` starts N gunicorns of one gevent worker each, on ports of their own, on the same
PostgreSQL schema and the same Redis: what N machines would be. The users are dealt
evenly over them (`deal`), one load client per server holding its share, and every
client is driven at once (`call_all`). `measure` runs the rounds; a `CpuSampler` reads
each worker's /proc/<pid>/stat every 10 ms, so the CPU a worker used from the stamp
until the last socket had its push is known, not only the CPU of the whole round.
"""

import json
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from .driver import STAMPED, LoadClient
from .machine import busy_percent, cpu_seconds, machine_busy
from .servers import Gunicorn
from .stats import summary

TIMEOUT_S = 60.0
SETTLE_S = 1.0
SAMPLE_S = 0.01
FAILURE_KEYS = ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped")
COUNTS = ("expected", "received", *FAILURE_KEYS)


class CpuSampler:
    """CPU seconds of `pids` and of the machine every 10 ms, on a thread, each sample
    stamped with time.time_ns() (the clock of the publish stamps and of the receipts)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.samples: list[tuple[int, list[float], tuple[float, float]]] = []
        self._stop = threading.Event()
        self._take()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _take(self) -> None:
        self.samples.append((time.time_ns(), [cpu_seconds(p) for p in self.pids], machine_busy()))

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self._take()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._take()

    def used(self, until_ns: int | None = None) -> tuple[list[float], float | None]:
        """CPU seconds of each pid from the start to the first sample at or after
        `until_ns` (the end if None), and the percent of the machine busy meanwhile."""
        _, cpu0, (busy0, total0) = self.samples[0]
        last = self.samples[-1]
        if until_ns is not None:
            last = next((s for s in self.samples if s[0] >= until_ns), last)
        _, cpu, (busy, total) = last
        return [b - a for a, b in zip(cpu0, cpu, strict=True)], busy_percent(
            busy - busy0, total - total0
        )


def profiler(pid: int, out: Path) -> subprocess.Popen:
    """py-spy sampling `pid` into `out` (raw collapsed stacks) until it gets SIGINT."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--rate", "250", "--nonblocking"]
        + ["--format", "raw", "-o", str(out)],
        stdout=subprocess.DEVNULL,
    )


#: PostgreSQL connections the whole fleet may open (its max_connections is 100 by
#: default, and the bench process and other runs need some): 4 workers at the app's
#: default pool (20 + 10 overflow) would want 120, and the fourth was refused.
DB_CONNECTIONS = 60


def pool_env(n: int, budget: int = DB_CONNECTIONS) -> dict[str, str]:
    """Each of `n` workers' pool (2/3) and overflow (1/3) of an even share of `budget`,
    as docs/deploy.md asks: workers x (pool + overflow) under max_connections."""
    share = max(3, budget // n)
    return {"TOCSIN_DB_POOL_SIZE": str(share * 2 // 3), "TOCSIN_DB_MAX_OVERFLOW": str(share // 3)}


class Fleet:
    """`n` gunicorns with one gevent worker each, sharing `env`'s database and Redis."""

    def __init__(self, env: dict, n: int, workdir: Path) -> None:
        self.servers: list[Gunicorn] = []
        self.pool = pool_env(n)
        env = {**env, **self.pool}
        try:
            for i in range(n):
                server = Gunicorn("gevent", env, workdir / f"gunicorn-{n}-{i}.log")
                server.name = f"Tocsin {i + 1}/{n}"
                self.servers.append(server)
        except BaseException:
            self.stop()
            raise

    @property
    def pids(self) -> list[int]:
        return [s.worker_pid for s in self.servers]

    def stop(self) -> list[int | None]:
        """SIGTERM every master; return their exit codes."""
        for server in self.servers:
            server.stop()
        return [s.returncode for s in self.servers]


def deal(keys: list[str], n: int) -> list[list[str]]:
    """The user keys dealt round-robin into `n` even shares."""
    return [keys[i::n] for i in range(n)]


def call_all(clients: list[LoadClient], cmd: str, each: list[dict] | None = None, **kw) -> list:
    """Send `cmd` to every client first, then read each answer: they work side by side.
    `each` holds each client's own arguments, added to `kw`."""
    for i, client in enumerate(clients):
        line = json.dumps({"cmd": cmd, **kw, **(each[i] if each else {})})
        client.proc.stdin.write(line + "\n")
        client.proc.stdin.flush()
    answers = []
    for client in clients:
        line = client.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"load client exited ({client.proc.wait()}) during {cmd!r}")
        answers.append(json.loads(line))
    return answers


def open_clients(servers, shares: list[dict[str, str]], workdir: Path) -> tuple[list, dict]:
    """One stamped load client per server, each opening one socket per user of its
    share of the cookies; return the clients and what they opened.

    One client after the other: N clients opening 50 handshakes each at once timed out
    6 % of 2,000 sockets on a busy 2-core box, and the opening is not what is measured."""
    clients: list[LoadClient] = []
    try:
        for server, cookies in zip(servers, shares, strict=True):
            clients.append(LoadClient(STAMPED, server, cookies, workdir))
        start = time.monotonic()
        answers = [c.call("open", total=len(s)) for c, s in zip(clients, shares, strict=True)]
    except BaseException:
        for client in clients:
            client.quit()
        raise
    opened = {
        "held": sum(a["held"] for a in answers),
        "held_each": [a["held"] for a in answers],
        "errors": [a["errors"] for a in answers],
        "open_s": time.monotonic() - start,
    }
    return clients, opened


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _row(r: int, call_s: float, stamp: int, got: list[dict], sampler, n_workers: int) -> dict:
    """One round's figures: the receipts of every client, the CPU to the last socket."""
    lat = [ms for g in got for _, ms in g.pop("latencies_ms")]
    for g in got:
        g.pop("sample", None)
    counts = {k: sum(g[k] for g in got) for k in COUNTS}
    last_ms = max(lat) if lat else None
    cpu, busy_pct = sampler.used(stamp + int(last_ms * 1e6) if lat else None)
    whole, _ = sampler.used()
    workers, clients = cpu[:n_workers], cpu[n_workers:]
    received_each = [g["received"] for g in got] if len(got) == n_workers else None
    delivery_cpu = sum(workers)
    return {
        "round": r,
        "warmup": r == 0,
        "call_ms": call_s * 1000,
        "last_ms": last_ms,
        "latency_ms": summary(lat),
        # Stamp to last socket: each worker's CPU, their sum, pushes per CPU-second.
        "worker_cpu_s": workers,
        "delivery_cpu_s": delivery_cpu,
        "pushes_per_cpu_s": counts["received"] / delivery_cpu if delivery_cpu else None,
        "pushes_per_cpu_s_each": [
            n / c if c else None for n, c in zip(received_each, workers, strict=True)
        ]
        if received_each
        else None,
        "fanout_rate": counts["received"] / (last_ms / 1000) if last_ms else None,
        "client_cpu_s": sum(clients),
        "machine_busy_pct": busy_pct,
        # The whole round, through the wait for late duplicates: as before issue 16.
        "server_cpu_s": sum(whole[:n_workers]),
        "received_each": received_each,
        **counts,
    }


def measure(clients, pids, fanout, rounds: int, owner=None, profile: Path | None = None) -> dict:
    """`rounds` fan-outs to every user (after one warm-up), each exactly once.

    `fanout(stamp)` publishes to every user and returns the [id, user key] pairs;
    `owner` maps a user key to the index of the client holding its socket (all on the
    first without it); `pids` are the server processes whose CPU is read.
    """
    runs, failures = [], []
    spy = None
    for r in range(rounds + 1):
        if r == 1 and profile:
            spy = profiler(pids[0], profile)
            time.sleep(1)  # py-spy attaches
        call_all(clients, "reset")
        sampler = CpuSampler(list(pids) + [c.proc.pid for c in clients])
        stamp = time.time_ns()
        start = time.perf_counter()
        items = fanout(stamp)
        call_s = time.perf_counter() - start
        shares: list[list] = [[] for _ in clients]
        for item in items:
            shares[owner[item[1]] if owner else 0].append(item)
        each = [{"items": share} for share in shares]
        got = call_all(clients, "tally", each=each, timeout=TIMEOUT_S, settle=SETTLE_S)
        sampler.stop()
        row = _row(r, call_s, stamp, got, sampler, len(pids))
        failures += [f"round {r}: {row[what]} {what}" for what in FAILURE_KEYS if row[what]]
        runs.append(row)
        print(f"   round {r}: {brief(row)}", flush=True)
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    return {"rounds": runs, "failures": failures, **medians(runs, len(pids))}


def medians(runs: list[dict], n_workers: int) -> dict:
    """Medians over the timed rounds (the warm-up left out), and the range of the figures."""
    timed = [row for row in runs if not row["warmup"]] or runs
    out = {
        f"{key}_median": _median(row[key] for row in timed)
        for key in (
            "last_ms",
            "call_ms",
            "server_cpu_s",
            "delivery_cpu_s",
            "pushes_per_cpu_s",
            "fanout_rate",
            "client_cpu_s",
            "machine_busy_pct",
        )
    }
    out["p50_ms_median"] = _median(row["latency_ms"].get("p50_ms") for row in timed)
    for key in ("last_ms", "pushes_per_cpu_s", "fanout_rate"):
        values = [row[key] for row in timed if row[key] is not None]
        out[f"{key}_range"] = [min(values), max(values)] if values else None
    out["worker_cpu_s_median_each"] = [
        _median(row["worker_cpu_s"][i] for row in timed) for i in range(n_workers)
    ]
    out["pushes_per_cpu_s_median_each"] = [
        _median((row["pushes_per_cpu_s_each"] or [None] * n_workers)[i] for row in timed)
        for i in range(n_workers)
    ]
    return out


def brief(row: dict) -> str:
    def f(v, spec=".0f"):
        return "–" if v is None else format(v, spec)

    return (
        f"call {row['call_ms']:.0f} ms, last {f(row['last_ms'])} ms, "
        f"worker CPU to last {f(row['delivery_cpu_s'], '.2f')} s "
        f"({f(row['pushes_per_cpu_s'])} pushes/CPU-s), {f(row['fanout_rate'])} pushes/s, "
        f"machine {f(row['machine_busy_pct'])} % busy, "
        f"received {row['received']}/{row['expected']}, lost {row['lost']}, "
        f"duplicated {row['duplicated']}"
    )
