"""Measure publish-to-toast latency from another process through the embedded broker.

Run: .venv/bin/python -m bench.toast_latency [--n 50] [--intervals 0.1,0.02]

A real server (SQLite, embedded database broker) runs in a subprocess; this process
publishes with service.create(), so every event crosses the broker's poll. Each poll
interval is measured with a raw WebSocket client (no browser) and with headless
Chromium, where the toast must be attached to the page.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask
from playwright.sync_api import sync_playwright
from tocsin.users import by_username

from app import create_app
from tests.support import HttpSession, LiveServer, flask_cli, recv_until, server_env
from tocsin.extensions import db
from tocsin.notifications import service

from .clients import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OBSERVER_JS,
    TIMEOUT_S,
    Arrivals,
    clock_offset,
    login,
    seen_toast,
)
from .report import machine_info, summarize, write_results
from .tables import toast_markdown

N = 50
INTERVALS = (0.1, 0.02)  # the default poll interval, and a faster one
WARMUP = 3
PAUSE_S = (0.05, 0.25)  # random gap between publishes: they land at random poll phases
BASELINE_RUNS = 50


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def publisher(instance: Path) -> tuple[Flask, int]:
    """Create the app in this process on the server's instance; return it and alice's id."""
    os.environ["TOCSIN_INSTANCE_PATH"] = str(instance)
    app = create_app({"SECRET_KEY": "bench-publisher"})
    with app.app_context():
        alice = by_username(db.session, "alice").id
        db.session.remove()
    return app, alice


def publish(app: Flask, user_id: int, title: str) -> tuple[int, float, float, float]:
    """Create one notification; return its id, wall time, perf time before, and after."""
    with app.app_context():
        wall = time.time()
        start = time.perf_counter()
        notification = service.create(db.session, user_id, type="comment", title=title)
        returned = time.perf_counter()
        nid = notification.id
        db.session.remove()
    return nid, wall, start, returned


def measure_raw(server: LiveServer, app: Flask, user_id: int, n: int, rng) -> dict:
    """Publish, then wait for the WebSocket message that carries the toast."""
    latency, publish_call = [], []
    session = HttpSession(server.url).login("alice")
    with session.websocket() as ws:
        ws.recv(timeout=TIMEOUT_S)  # the connect snapshot
        for i in range(WARMUP + n):
            time.sleep(rng.uniform(*PAUSE_S))
            nid, _, start, returned = publish(app, user_id, f"Raw {i}")
            marker = f'id="toast-{nid}"'
            recv_until(ws, lambda msgs, m=marker: any(m in x for x in msgs), TIMEOUT_S)
            done = time.perf_counter()
            if i >= WARMUP:
                latency.append(done - start)
                publish_call.append(returned - start)
    return {"raw_ws": latency, "publish_call": publish_call}


def measure_browser(browser, server: LiveServer, app: Flask, user_id: int, n: int, rng) -> dict:
    """Publish, then wait for #toast-<id> in a logged-in Chromium page; then the same with a
    raw WebSocket client connected too, to pair the two clients on the same events."""
    out: dict[str, list[float]] = {
        key: []
        for key in (
            "browser_wait",
            "browser_attached",
            "browser_frame",
            "paired_raw_ws",
            "paired_browser",
            "paired_browser_minus_raw",
        )
    }
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_S * 1000)
        login(page, server.url)
        page.evaluate(OBSERVER_JS)
        baseline = []
        for _ in range(BASELINE_RUNS):
            start = time.perf_counter()
            page.wait_for_selector("#connection-status", state="attached")
            baseline.append(time.perf_counter() - start)
        clock_before = clock_offset(page)
        offset = clock_before["offset_s"]
        for i in range(WARMUP + n):
            time.sleep(rng.uniform(*PAUSE_S))
            nid, wall, start, _ = publish(app, user_id, f"Browser {i}")
            page.wait_for_selector(f"#toast-{nid}", state="attached")
            done = time.perf_counter()
            seen = seen_toast(page, f"toast-{nid}")
            if i >= WARMUP:
                out["browser_wait"].append(done - start)
                out["browser_attached"].append(seen["attached"] / 1000 - offset - wall)
                out["browser_frame"].append(seen["frame"] / 1000 - offset - wall)
        session = HttpSession(server.url).login("alice")
        with session.websocket() as ws, Arrivals(ws) as arrivals:
            for i in range(WARMUP + n):
                time.sleep(rng.uniform(*PAUSE_S))
                nid, wall, _, _ = publish(app, user_id, f"Paired {i}")
                seen = seen_toast(page, f"toast-{nid}")
                arrived = arrivals.wait(nid)
                attached = seen["attached"] / 1000 - offset
                if i >= WARMUP:
                    out["paired_raw_ws"].append(arrived - wall)
                    out["paired_browser"].append(attached - wall)
                    out["paired_browser_minus_raw"].append(attached - arrived)
        clock_after = clock_offset(page)
    finally:
        context.close()
    base_p50 = summarize(baseline)["p50_ms"] / 1000
    out["browser_wait_minus_baseline"] = [w - base_p50 for w in out["browser_wait"]]
    out["baseline_wait"] = baseline
    return {
        **out,
        "clock": {
            "before": clock_before,
            "after": clock_after,
            "drift_s": clock_after["offset_s"] - clock_before["offset_s"],
        },
    }


def run_interval(browser, interval: float, n: int, seed: int) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="tocsin-toast-"))
    env = server_env(instance, TOCSIN_BROKER_POLL_INTERVAL=str(interval))
    server = None
    try:
        init = flask_cli(env, "tocsin", "init", "--demo")
        if init.returncode != 0:
            raise RuntimeError(f"tocsin init failed: {init.stderr}")
        server = LiveServer(env).start()
        app, alice = publisher(instance)
        rng = random.Random(seed)
        log(f"poll interval {interval}s: raw WebSocket client")
        samples = measure_raw(server, app, alice, n, rng)
        log(f"poll interval {interval}s: Chromium")
        samples.update(measure_browser(browser, server, app, alice, n, rng))
        with app.app_context():
            db.engine.dispose()
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(instance, ignore_errors=True)
    clock = samples.pop("clock")
    result = {"poll_interval_s": interval, "clock": clock, "stats": {}, "samples_ms": {}}
    for key, values in samples.items():
        result["stats"][key] = summarize(values)
        result["samples_ms"][key] = [round(v * 1000, 3) for v in values]
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=N, help="timed publishes per interval and client")
    parser.add_argument("--intervals", default=",".join(map(str, INTERVALS)))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    intervals = [float(x) for x in args.intervals.split(",")]

    started = time.perf_counter()
    load_before = tuple(round(x, 2) for x in os.getloadavg())
    data: dict = {"n": args.n, "warmup": WARMUP, "pause_s": PAUSE_S, "intervals": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for interval in intervals:
                data["intervals"].append(run_interval(browser, interval, args.n, args.seed))
            chromium = browser.version
        finally:
            browser.close()
    data["machine"] = machine_info(
        chromium=chromium, playwright=_playwright_version(), load_avg_before=load_before
    )
    data["wall_seconds"] = time.perf_counter() - started
    text = toast_markdown(data)
    json_path, md_path = write_results("toast_latency", data, text)
    print(text)
    log(f"wrote {json_path} and {md_path} in {data['wall_seconds']:.0f} s")


def _playwright_version() -> str | None:
    from importlib import metadata

    return metadata.version("playwright")


if __name__ == "__main__":
    main()
