"""What a reconnect storm did to the sockets: times from the kill, and, for servers that
keep nothing, what each socket missed.

`raw` is what bench.harness.storm.storm returned: the kill, every tab's opens, closes,
failures and receipts, and every publish's (id, user key, start, end).
"""

import math
from collections import Counter, defaultdict


def at_fraction(times: list[float], fraction: float, total: int) -> float | None:
    """The time by which `fraction` of `total` were back (None if fewer ever came back)."""
    need = max(1, math.ceil(fraction * total))
    ordered = sorted(times)
    return ordered[need - 1] if len(ordered) >= need else None


def timing(raw: dict) -> dict:
    """Times from the kill: closes seen, respawn, and 50 / 99 / 100 % of the sockets back."""
    kill = raw["kill"]
    at = kill["at"]
    tabs = [t for t in raw["tabs"] if t["opens"] and t["opens"][0] <= at]
    held = len(tabs)
    back, closed, codes, attempts, failures, gave_up = [], [], Counter(), 0, Counter(), Counter()
    first_back, again = [], 0
    for t in tabs:
        after = [o for o in t["opens"] if o > at]
        if after:
            first_back.append(after[0] - at)
            # Back for good: the snapshot that began the connection it still held at the end.
            if t["connected"]:
                back.append(after[-1] - at)
        closes = [c for c in t["closes"] if c[0] > at]
        if len(closes) > 1:
            again += 1  # came back, then was dropped again (a dying worker took it in)
        if closes:
            closed.append(closes[0][0] - at)
            codes[str(closes[0][1])] += 1
        fails = [f for f in t["failures"] if f[0] > at]
        failures.update(what for _, what in fails)
        attempts += len(fails) + len(after)
        if t["gave_up"] is not None:
            gave_up[str(t["gave_up"])] += 1

    def ms(s: float | None) -> float | None:
        return None if s is None else s * 1000

    return {
        "held_at_kill": held,
        "back": len(back),
        "never_closed": held - len(closed),
        "gave_up": dict(gave_up),
        "close_codes": dict(codes),
        "closes_seen_ms": {
            "p50": ms(at_fraction(closed, 0.5, len(closed) or 1)),
            "max": ms(max(closed, default=None)),
        },
        "old_gone_ms": ms(kill.get("old_gone_at", at) - at) if "old_gone_at" in kill else None,
        "new_forked_ms": ms(kill["new_forked_at"] - at) if "new_forked_at" in kill else None,
        "first_back_ms": ms(min(first_back, default=None)),
        "dropped_again": again,
        "back_50_ms": ms(at_fraction(back, 0.50, held)),
        "back_99_ms": ms(at_fraction(back, 0.99, held)),
        "back_100_ms": ms(at_fraction(back, 1.0, held)),
        "attempts_after_kill": attempts,
        "failed_handshakes": sum(failures.values()),
        "failed_by_error": dict(failures),
        "back_ms_all": sorted(round(b * 1000, 1) for b in back),
    }


def away_pairs(tab: dict, kill_at: float, by_user: dict[str, list], end: float) -> int:
    """How many of the tab's user's notifications were published while the tab was away."""
    closes = [c[0] for c in tab["closes"] if c[0] > kill_at]
    reopen = next((o for o in tab["opens"] if o > kill_at), end)
    gone = min([kill_at, *closes])
    return sum(1 for _, start, _ in by_user[tab["user"]] if gone <= start <= reopen)


def check_peer(raw: dict) -> dict:
    """A peer keeps nothing: a notification published while a socket was away is missed."""
    by_user = defaultdict(list)
    for nid, key, start, end in raw["records"]:
        by_user[key].append((nid, start, end))
    kill_at = raw["kill"]["at"]
    end = max((r[3] for r in raw["records"]), default=0)
    missed = missed_away = duplicated = not_connected = away = 0
    # "Away": from the kill until the socket's first new snapshot.
    for tab in raw["tabs"]:
        received = {int(k): n for k, n in tab["received"].items()}
        duplicated += len(tab["duplicates"])
        reopen = next((o for o in tab["opens"] if o > kill_at), math.inf)
        if not tab["connected"]:
            not_connected += 1
        away += away_pairs(tab, kill_at, by_user, end)
        for nid, start, _ in by_user[tab["user"]]:
            if not tab["opens"] or start < tab["opens"][0]:
                continue  # published before this socket first connected
            if nid not in received:
                missed += 1
                if kill_at <= start <= reopen:
                    missed_away += 1
    return {
        "published": len(raw["records"]),
        "away_pairs": away,
        "missed": missed,
        "missed_while_away": missed_away,
        # Published before the kill, or after the socket was back (peer B: before the new
        # worker's Redis subscription was live).
        "missed_other": missed - missed_away,
        "duplicated": duplicated,
        "not_connected_at_end": not_connected,
    }
