"""The four ways notifications get in, as the ingest benchmark times them.

- ceiling: SQLAlchemy Core INSERT + commit per row (no counter, no broker, no push);
- python: `notify()` in a loop; python_many: `notify_many()`, `batch` users per call;
- http: POST /api/v1/notifications, one per request, from keep-alive connections.
"""

import http.client
import json
import threading
from collections import Counter
from urllib.parse import urlsplit

from . import tocsin_app

PATHS = ("ceiling", "python", "python_many", "http")


def publish(
    name: str,
    app,
    url: str,
    token: str,
    todo: list,
    titles: list[str],
    batch: int,
    connections: int,
    groups: list[str] | None = None,
) -> tuple[list, Counter]:
    """Publish every (user id, key) of `todo` through path `name`, with `titles` (and
    group keys `groups`, one per notification or call, if given); return the
    [notification id, user key] pairs the sockets must see, and errors by kind."""
    if name == "ceiling":
        tocsin_app.insert_loop(app, todo, titles)
        return [], Counter()
    if name == "python":
        return tocsin_app.notify_loop(app, todo, titles, groups), Counter()
    if name == "python_many":
        chunks = [todo[i : i + batch] for i in range(0, len(todo), batch)]
        n = len(chunks)
        return tocsin_app.notify_many_loop(
            app, chunks, titles[:n], groups and groups[:n]
        ), Counter()
    content = {"type": tocsin_app.TYPE, **tocsin_app.CONTENT}
    grouped = groups or [None] * len(todo)
    bodies = [
        ({"recipients": [uid], "title": t, **content, **({"group_key": g} if g else {})}, key)
        for (uid, key), t, g in zip(todo, titles, grouped, strict=True)
    ]
    return post_all(url, token, bodies, connections)


def sizes(name: str, count: int, batch: int) -> list[int]:
    """Recipients per publish call of path `name` for `count` notifications."""
    if name == "python_many":
        return [min(batch, count - i) for i in range(0, count, batch)]
    return [1] * count


def post_all(url: str, token: str, bodies: list[tuple[dict, str]], connections: int):
    """POST each (body, user key), one per request, from `connections` threads with a
    keep-alive connection each; return the [id, key] pairs created and errors by kind."""
    parts = urlsplit(url)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    work = iter(bodies)
    lock = threading.Lock()
    items: list = []
    errors: Counter = Counter()

    def publisher() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            while True:
                with lock:
                    job = next(work, None)
                if job is None:
                    return
                body, key = job
                try:
                    conn.request("POST", "/api/v1/notifications", json.dumps(body), headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        errors[type(exc).__name__] += 1
                    conn.close()  # reconnects on the next request; this one is counted
                    continue
                with lock:
                    if resp.status == 201:
                        items.append([json.loads(data)["ids"][0], key])
                    else:
                        errors[f"HTTP {resp.status}"] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=publisher) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return items, errors
