"""One ingest path run: publish, count rows and receipts, time first publish to last push.

The ingest benchmark (bench/benchmarks/ingest.py) runs each path of publish_paths through
`run_path`; with the features on (features.py) every notification carries a group key
of its own, and the delivery rows, held rows and queue jobs are checked as well.
"""

import json
import time
from collections import Counter
from dataclasses import dataclass, field

from . import features, machine, tocsin_app
from .publish_paths import publish, sizes

FAILURE_KEYS = ("lost", "duplicated", "misdelivered", "unexpected_ids", "unstamped")


@dataclass
class Target:
    """A running Tocsin server and an app on its database and broker, users logged in."""

    url: str
    app: object
    token: str
    user_ids: dict[str, int]  # user key ("c0", ...) -> id
    #: The server's gunicorn workers: their CPU is the server's.
    server_pids: list[int] = field(default_factory=list)


def _server_cpu(target: Target) -> float:
    return sum(machine.cpu_seconds(pid) for pid in target.server_pids)


def title(stamp: int, k: int) -> str:
    return f"t={stamp} #{k}"


def run_path(name: str, target: Target, client, todo, s, on: bool = False, quiet=False) -> dict:
    """Publish `todo` through one path; count rows and receipts; time first publish to last
    push. `on`: with the features (a group key each; delivery rows, held rows if `quiet`,
    and queue jobs checked); `s` is the benchmark's Settings."""
    client.call("reset")
    held_before = client.call("watch_close", timeout=0)["still_open"]
    cpu_client0 = client.call("cpu")["cpu_s"]
    cpu_server0 = _server_cpu(target) if target.server_pids else None
    (busy0, total0), cpu_self0 = machine.machine_busy(), machine.self_cpu()
    stamp = time.time_ns()
    titles = [title(stamp, k) for k in range(len(todo))]
    on = on and name != "ceiling"  # the ceiling is a bare INSERT either way
    groups = features.group_keys(stamp, len(todo)) if on else None
    jobs0 = tocsin_app.queued_jobs(target.app) if on else None
    items, errors = publish(
        name,
        target.app,
        target.url,
        target.token,
        todo,
        titles,
        s.batch,
        s.http_concurrency,
        groups,
    )
    published_s = (time.time_ns() - stamp) / 1e9
    result: dict = {
        "path": name,
        "count": len(todo),
        "publish_s": published_s,
        "publish_per_s": len(todo) / published_s,
        "errors": dict(errors),
        "publisher_cpu_percent": 100 * (machine.self_cpu() - cpu_self0) / published_s,
        "held_before": held_before,
    }
    if name != "ceiling":
        got = client.call("tally", items=items, timeout=s.timeout_s, settle=0)
        wall = (time.time_ns() - stamp) / 1e9
        busy1, total1 = machine.machine_busy()
        result["client_cpu_percent"] = 100 * (client.call("cpu")["cpu_s"] - cpu_client0) / wall
        if cpu_server0 is not None:
            result["server_cpu_s"] = _server_cpu(target) - cpu_server0
            result["server_cpu_percent"] = 100 * result["server_cpu_s"] / wall
        result["machine_busy_percent"] = machine.busy_percent(busy1 - busy0, total1 - total0)
        # Again, after a pause: duplicates that arrive late are counted too.
        time.sleep(s.settle_s)
        got = client.call("tally", items=items, timeout=0, settle=0)
        result["held_after"] = client.call("watch_close", timeout=0)["still_open"]
        order = sorted(target.user_ids, key=lambda k: int(k[1:]))  # as the client deals them
        dealt = Counter(order[i % len(order)] for i in range(s.clients))
        result["expected_by_deal"] = sum(dealt[k] for _, k in items)
        arrivals = [ms for _, ms in got.pop("latencies_ms")]
        got.pop("sample", None)
        result.update(got)
        last_push_s = max(arrivals) / 1000 if arrivals else None
        result["last_push_s"] = last_push_s
        result["per_s"] = len(todo) / last_push_s if last_push_s else None
        result["pushes_per_s"] = got["received"] / last_push_s if last_push_s else None
    else:
        busy1, total1 = machine.machine_busy()
        result["machine_busy_percent"] = machine.busy_percent(busy1 - busy0, total1 - total0)
        result["per_s"] = result["publish_per_s"]
    result["committed"] = tocsin_app.count_titled(target.app, f"t={stamp} #")
    result["failures"] = failures(result)
    if on:
        result["features"] = features.check(
            target.app, f"t={stamp} #", sizes(name, len(todo), s.batch), jobs0, quiet
        )
        result["failures"] += result["features"]["failures"]
    return result


def failures(r: dict) -> list[str]:
    out = []
    if "expected" in r:
        if r["expected"] != r["expected_by_deal"]:
            out.append(f"{r['expected']} socket receipts expected, {r['expected_by_deal']} dealt")
        if r["received"] != r["expected"]:
            out.append(f"{r['received']} of {r['expected']} receipts")
        if r["held_after"] < r["held_before"]:
            out.append(f"{r['held_before'] - r['held_after']} sockets closed")
    if r["committed"] != r["count"]:
        out.append(f"{r['committed']} of {r['count']} committed")
    out += [f"{n} × {kind}" for kind, n in r["errors"].items()]
    return out + [f"{r[what]} {what}" for what in FAILURE_KEYS if r.get(what)]


def best(rounds: list[dict], paths) -> dict:
    """Per path, the round with the highest rate; ratios to the best ceiling."""
    chosen = {}
    for name in paths:
        runs = [r[name] for r in rounds if name in r]
        ok = [r for r in runs if not r["failures"] and r.get("per_s")]
        chosen[name] = max(ok or runs, key=lambda r: r.get("per_s") or 0)
    ceiling = chosen.get("ceiling", {}).get("per_s")
    for r in chosen.values():
        r["ratio_to_ceiling"] = r["per_s"] / ceiling if ceiling and r.get("per_s") else None
    return chosen


def brief(r: dict) -> str:
    """A path's figures, rounded, for the console."""
    return json.dumps(
        {k: round(v, 1) if isinstance(v, float) else v for k, v in r.items() if k != "errors"}
    )
