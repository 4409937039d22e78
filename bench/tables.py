"""Render the benchmarks' results as Markdown tables."""

from .datasets import UNREAD_EVERY
from .report import fmt_ms, fmt_ratio, machine_markdown


def scaling(entries: list[dict], key: str) -> float | None:
    if len(entries) < 2:
        return None
    return entries[-1][key]["p50_ms"] / entries[0][key]["p50_ms"]


def partial_note(data: dict) -> str:
    for res in data["backends"].values():
        for e in res["sizes"]:
            return "; ".join(f"`{d}`" for d in e["partial_index"])
    return "none"


def badge_markdown(data: dict) -> str:
    def p(stats: dict) -> str:
        return f"{fmt_ms(stats['p50_ms'])} / {fmt_ms(stats['p95_ms'])}"

    lines = [
        "# Badge count and first panel page, one user",
        "",
        "Times in ms, `p50 / p95` over warm runs (n per cell in the JSON). The fast columns",
        "run round-robin, each naive peer in its own block; each call runs in a fresh",
        "session, as in a request. Ratios are of medians. 10 % of the rows are unread (every "
        f"{UNREAD_EVERY}th,",
        "spread over the whole range).",
        "",
        "- **Tocsin badge**: `queries.unread_count()` (the counter row, through SQLAlchemy).",
        "- **counter row, plain SQL**: the same row read with `text()`, like the peers.",
        "- **naive count(\\*)**: `SELECT count(*) … WHERE user_id = ? AND read_at IS NULL`",
        "  with no index on unread rows (any partial index is dropped for this column).",
        "- **count(\\*) + partial index**: the same with the partial index on unread rows",
        f"  in place: {partial_note(data)}.",
        "",
        "| backend | rows | unread | Tocsin badge | counter row, plain SQL | naive count(\\*) "
        "| **Tocsin / naive** | count(\\*) + partial index | Tocsin / partial |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in data["backends"].items():
        for e in res["sizes"]:
            lines.append(
                f"| {name} | {e['rows']:,} | {e['unread']:,} | {p(e['tocsin'])} "
                f"| {p(e['tocsin_sql'])} | {p(e['naive'])} "
                f"| **{fmt_ratio(e['ratio_tocsin_naive'])}** | {p(e['naive_partial'])} "
                f"| {fmt_ratio(e['ratio_tocsin_naive_partial'])} |"
            )
    lines += [
        "",
        "First panel page (`queries.page()`, 20 items + 1 to detect a next page, ORM objects),",
        "against the per-query floor (`SELECT 1` through the same session):",
        "",
        "| backend | rows | first page | floor `SELECT 1` | page / floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, res in data["backends"].items():
        for e in res["sizes"]:
            ratio = e["page"]["p50_ms"] / e["floor"]["p50_ms"]
            lines.append(
                f"| {name} | {e['rows']:,} | {p(e['page'])} | {p(e['floor'])} "
                f"| {fmt_ratio(ratio)} |"
            )
    lines += [
        "",
        "Scaling: median at the largest size / median at the smallest size. The floor column",
        "shows how much the machine itself drifted between those two phases.",
        "",
        "| backend | sizes | **Tocsin badge** | naive count(\\*) | count(\\*) + partial index "
        "| first page | floor `SELECT 1` |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    keys = ("tocsin", "naive", "naive_partial", "page", "floor")
    for name, res in data["backends"].items():
        e = res["sizes"]
        span = f"{e[-1]['rows']:,} / {e[0]['rows']:,}"
        cells = [fmt_ratio(scaling(e, k)) for k in keys]
        cells[0] = f"**{cells[0]}**"
        lines.append(f"| {name} | {span} | " + " | ".join(cells) + " |")
    lines += ["", "Loading, and one bulk write at the largest size:", ""]
    for name, res in data["backends"].items():
        loads = ", ".join(f"{x['rows']:,} rows in {x['seconds']:.1f} s" for x in res["loads"])
        without = res["mark_all_read"]["without_partial_index"]
        with_ = res["mark_all_read"]["with_partial_index"]
        lines.append(
            f"- {name} {res['version']}: loaded {loads}. One `service.mark_all_read` of "
            f"{without['marked']:,} unread rows (of {without['rows']:,}) took "
            f"{without['seconds']:.2f} s without the partial index, "
            f"{with_['seconds']:.2f} s with it."
        )
    lines += [
        "",
        "Every size was verified: counter row == `count(*)` == rows / 10, and again after",
        "`service.create` (+1) and `service.mark_read` (back), and 0 after `mark_all_read`.",
        "Query plans for each cell are in the JSON (`plans`).",
        "",
        "## Machine",
        "",
        machine_markdown(data["machine"]),
        "",
    ]
    return "\n".join(lines)


ROWS = (
    ("raw_ws", "raw WebSocket", "message with `#toast-<id>` received"),
    ("browser_wait", "Chromium", "`wait_for_selector('#toast-<id>')` returned (raw)"),
    ("browser_wait_minus_baseline", "Chromium", "same, minus no-op wait p50"),
    ("browser_attached", "Chromium", "toast attached (in-page MutationObserver)"),
    ("browser_frame", "Chromium", "next animation frame after attach"),
    ("paired_raw_ws", "both at once", "raw WebSocket: message received"),
    ("paired_browser", "both at once", "Chromium: toast attached"),
    (
        "paired_browser_minus_raw",
        "both at once",
        "**browser overhead**: attached − raw, same event",
    ),
    ("publish_call", "publisher", "`service.create()` returned (commit + broker row)"),
    ("baseline_wait", "Chromium", "peer: no-op `wait_for_selector` on an existing element"),
)


def toast_markdown(data: dict) -> str:
    lines = [
        "# Publish-to-toast latency (embedded SQLite broker, publisher in another process)",
        "",
        "Milliseconds from just before `service.create()` in the bench process until the toast",
        "reaches the client. The server is `flask run` in a subprocess; every event crosses the",
        "embedded database broker's poll. Publishes are spaced by a random "
        f"{data['pause_s'][0]}–{data['pause_s'][1]} s.",
        "The raw WebSocket and Chromium rows are separate runs, one client at a time. In the",
        "*both at once* rows the two clients are connected together and get the same events,",
        "so their difference is the browser's own cost, free of the poll phase.",
        "",
        "| poll interval | client | measured until | n | p50 | p95 | max |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for res in data["intervals"]:
        for key, client, what in ROWS:
            s = res["stats"][key]
            lines.append(
                f"| {res['poll_interval_s']} s | {client} | {what} | {s['n']} "
                f"| {fmt_ms(s['p50_ms'])} | {fmt_ms(s['p95_ms'])} | {fmt_ms(s['max_ms'])} |"
            )
    lines += ["", "Ratios of medians, measured in the same run:", ""]
    for res in data["intervals"]:
        st = res["stats"]
        paired = st["paired_browser"]["p50_ms"] / st["paired_raw_ws"]["p50_ms"]
        unpaired = st["browser_attached"]["p50_ms"] / st["raw_ws"]["p50_ms"]
        lines.append(
            f"- poll {res['poll_interval_s']} s: Chromium / raw WebSocket = {fmt_ratio(paired)} "
            f"on the same events (median difference "
            f"{st['paired_browser_minus_raw']['p50_ms']:+.2f} ms); {fmt_ratio(unpaired)} "
            "between the separate runs, where the poll phase adds noise"
        )
    if len(data["intervals"]) >= 2:
        slow, fast = data["intervals"][0], data["intervals"][-1]
        expected = (slow["poll_interval_s"] - fast["poll_interval_s"]) / 2 * 1000
        for key, label in (("raw_ws", "raw WebSocket"), ("browser_attached", "Chromium")):
            a, b = slow["stats"][key]["p50_ms"], fast["stats"][key]["p50_ms"]
            lines.append(
                f"- {label}: poll {slow['poll_interval_s']} s / {fast['poll_interval_s']} s = "
                f"{fmt_ratio(a / b)} ({a - b:+.1f} ms; waiting a uniform share of the poll "
                f"interval predicts {expected:+.0f} ms)"
            )
    lines += ["", "Clock check (browser clock minus Python `time.time()`):", ""]
    for res in data["intervals"]:
        c = res["clock"]
        lines.append(
            f"- poll {res['poll_interval_s']} s: offset {c['before']['offset_s'] * 1000:+.2f} ms "
            f"± {c['before']['uncertainty_s'] * 1000:.2f} ms, drift over the run "
            f"{c['drift_s'] * 1000:+.2f} ms"
        )
    lines += ["", "## Machine", "", machine_markdown(data["machine"]), ""]
    return "\n".join(lines)
