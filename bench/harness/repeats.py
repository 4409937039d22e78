"""Several runs of a benchmark in one invocation: the median and spread of each figure.

Issue 16 asks for every target three times, reported as the median and the spread
(min-max) over the runs; a ratio is taken within each run (Tocsin and its peer measured
minutes apart on the same machine), then spread.
"""

import statistics

#: The percentiles spread, from bench.harness.stats.summary.
KEYS = ("p50_ms", "p99_ms", "p99_9_ms", "max_ms")
#: The figures whose percentiles are spread.
FIELDS = ("latency_ms", "after_publish_call_ms", "publish_call_ms")


def spread(values: list) -> dict | None:
    """{"median", "min", "max", "runs": values} of the values that are not None."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def aggregate(runs: list[dict], servers: list[str], modes: list[str]) -> list[dict]:
    """One entry per clients, mode and server present: the spread over the runs of each
    percentile of each field and, for a peer, of Tocsin / that peer run by run."""
    out = []
    for clients in dict.fromkeys(row["clients"] for row in runs):
        rows = [row for row in runs if row["clients"] == clients]
        for mode in modes:
            for name in servers:
                found = [row for row in rows if mode in row.get(name, {})]
                if not found:
                    continue
                entry = {"clients": clients, "mode": mode, "server": name, "runs": len(found)}
                # Runs where it (or Tocsin, its ratio's numerator) lost, duplicated or
                # failed to hold its sockets: their figures are not comparable.
                entry["failed_runs"] = sum(
                    bool(
                        row[name][mode]["failures"]
                        or row.get("tocsin", {}).get(mode, {}).get("failures")
                    )
                    for row in found
                )
                for field in FIELDS:
                    figures = [row[name][mode].get(field, {}) for row in found]
                    entry[field] = {k: spread([f.get(k) for f in figures]) for k in KEYS}
                paired = [row for row in found if mode in row.get("tocsin", {})]
                if name != "tocsin" and paired:
                    entry["tocsin_over"] = {
                        k: spread(
                            [
                                ratio(
                                    row["tocsin"][mode]["latency_ms"].get(k),
                                    row[name][mode]["latency_ms"].get(k),
                                )
                                for row in paired
                            ]
                        )
                        for k in KEYS
                    }
                out.append(entry)
    return out
