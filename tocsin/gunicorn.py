"""Gunicorn settings for Tocsin and its hosts: `gunicorn -c python:tocsin.gunicorn wsgi:app`.

Every setting can be changed through the environment (see docs/deploy.md). The
worker class is gevent: one worker held 6,000 sockets (10,000 since the stencils and the
small deflate compressor: bench/results/serving-peers.md), where gthread, which spends
two OS threads on each, held 3,000 and was killed for a stalled heartbeat at 4,000;
gevent also closed all 7,482 of its sockets with 1012 within 3 s of a SIGTERM
(bench/results/serving.md).
"""

import gc
import glob
import logging
import os
import resource
import shutil
import sys
import tempfile
import threading
import time

from tocsin.live.connection import SERVICE_RESTART

log = logging.getLogger("gunicorn.error")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TOCSIN_{name}") or default


_port = os.environ.get("PORT")
bind = [_env("BIND", f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000")]
workers = int(_env("WORKERS", os.environ.get("WEB_CONCURRENCY") or str(os.cpu_count() or 1)))
worker_class = _env("WORKER_CLASS", "gevent")
#: Open sockets (and HTTP requests) one worker serves at once; past it, new ones wait.
#: gthread's cap is lower: its worker stalled and was killed between 2,000 and 5,000.
worker_connections = int(
    _env("WORKER_CONNECTIONS", "1000" if worker_class == "gthread" else "5000")
)
# gthread runs each socket on a pool thread until it closes: the pool must hold them all,
# and a few more connections may wait in keep-alive. (gevent ignores `threads`.)
threads = int(_env("THREADS", str(worker_connections)))
if worker_class == "gthread":
    worker_connections = threads + 100
# Not a request timeout for these workers but the heartbeat: a worker whose main loop
# has not run for this long is killed. Long-lived sockets do not hold the main loop.
timeout = int(_env("TIMEOUT", "30"))
#: Seconds a stopping worker gets; its sockets are closed with 1012 at the start of it.
graceful_timeout = int(_env("GRACEFUL_TIMEOUT", "10"))
keepalive = 5
# Sockets from a reverse proxy on this machine: trust its X-Forwarded-* (see deploy.md).
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The default control socket is one path per user: two servers on a host would share it.
control_socket = _env("CONTROL_SOCKET", "")
control_socket_disable = not control_socket
#: Access log file, "-" for stderr; set TOCSIN_ACCESS_LOG= (empty) to turn it off.
accesslog = os.environ.get("TOCSIN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info")
#: Each worker's garbage-collector thresholds ("default": Python's 700,10,10).
GC_THRESHOLD = "10000,50,100"


#: prometheus-client's multiprocess folder: the workers write their metrics there and a
#: scrape of any one of them adds them up (tocsin/metrics.py). Set, it is emptied at start.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def on_starting(server):
    """Give the workers a metrics folder and a file descriptor per socket."""
    _metrics_folder()
    _open_file_limit()


def _metrics_folder() -> None:
    """Empty the configured folder (values of a previous run would be added) or make one.

    Set here, in the master before any worker exists: each worker's prometheus-client
    reads it when first imported, and only then is in multiprocess mode.
    """
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)
        for stale in glob.glob(os.path.join(folder, "*.db")):
            os.remove(stale)
    else:
        os.environ[MULTIPROC_ENV] = _made[0] = tempfile.mkdtemp(prefix="tocsin-metrics-")
    log.info("Metrics of all workers in %s", os.environ[MULTIPROC_ENV])


#: The metrics folder this master made, if it made one: removed when it exits.
_made = [""]


def on_exit(server):
    """Remove the metrics folder made at start."""
    if _made[0]:
        shutil.rmtree(_made[0], ignore_errors=True)


def child_exit(server, worker):
    """Drop a dead worker's live gauges (its open sockets) from the sums."""
    # Imported here, in the master, once the folder is set (on_starting): imported at
    # the top, prometheus-client would fix single-process mode before it is.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _open_file_limit() -> None:
    """Let every worker open a file descriptor per socket (the soft limit is often 1024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = worker_connections + 256  # the sockets, plus the database, logs and listeners
    if soft != resource.RLIM_INFINITY and soft < want:
        soft = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft != resource.RLIM_INFINITY and soft < want:
        log.warning(
            "Open-file limit %d < %d: fewer sockets per worker; raise LimitNOFILE", soft, want
        )


def post_fork(server, worker):
    """Close the worker's sockets with 1012 as soon as it is told to stop (SIGTERM)."""
    handle_exit = worker.handle_exit

    def close_then_exit(sig, frame):
        # A signal handler must not block (under gevent it may run on the hub): close
        # from a thread or greenlet while the worker's own loop winds down as usual.
        _in_background(_close_sockets, worker)
        handle_exit(sig, frame)

    # init_signals(), which runs after this hook, installs the worker's handle_exit.
    worker.handle_exit = close_then_exit


def post_worker_init(worker):
    """Warn if psycopg would block the gevent hub (imported before the monkey-patching)."""
    waiting = sys.modules.get("psycopg.waiting")
    if _gevent_patched() and waiting is not None and waiting.wait.__name__ == "wait_c":
        log.warning(
            "psycopg was imported before gevent patched the process: every query "
            "blocks all sockets of the worker. Do not preload the app."
        )
    _tune_collector()


def _tune_collector() -> None:
    """Keep the cyclic garbage collector from stalling every socket of the worker.

    A full collection walks every object the worker tracks: at 1,000 sockets it held the
    gevent loop for up to 0.5 s (bench/results/SUMMARY.md, issue 16). What the app loaded
    at start (modules, templates, mappers) never becomes garbage: `gc.freeze()` takes it
    out of every collection. A higher first threshold (10,000: 50,000 made some young
    collections take 20-100 ms) lets the short-lived objects of a
    request die by reference counting before a collection finds them alive and promotes
    them, so full collections come less often.
    """
    thresholds = _env("GC_THRESHOLD", GC_THRESHOLD)
    if thresholds.lower() != "default":
        gc.set_threshold(*(int(part) for part in thresholds.split(",")))
    if _env("GC_FREEZE", "1") != "0":
        gc.collect()  # start-up's own garbage is not kept forever
        gc.freeze()


def worker_int(worker):
    """Close the worker's sockets with 1012 before a quick exit (SIGINT, SIGQUIT)."""
    _close_sockets(worker)


def _close_sockets(worker) -> None:
    registry = _registry(worker)
    if registry is None:
        return
    count, start = registry.count(), time.monotonic()
    # Leave a second of the grace period for the close handshakes to reach the clients.
    registry.close_all(SERVICE_RESTART, wait=max(1, worker.cfg.graceful_timeout - 1))
    log.info(
        "Closed %d WebSocket(s) with %d in %.1f s, %d still open (pid: %s)",
        count,
        SERVICE_RESTART,
        time.monotonic() - start,
        registry.count(),
        worker.pid,
    )


def _registry(worker):
    """Return the registry of the Tocsin app this worker serves, if it has loaded one."""
    app = getattr(worker, "wsgi", None)
    if app is None:
        return None  # still booting: no sockets yet
    # Not at the top: this file is read before gevent patches the worker, and importing
    # Tocsin then would import psycopg unpatched. Here the app has loaded it already.
    from tocsin.extension import registry_of

    if getattr(app, "extensions", None) is None:  # a wrapped app: fall back on the wsgi module's
        app = getattr(sys.modules.get("wsgi"), "app", None)
        if app is None or getattr(app, "extensions", None) is None:
            return None
    return registry_of(app)


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def _in_background(target, *args) -> None:
    if _gevent_patched():
        import gevent  # type: ignore[import-untyped]  # no stubs; only under gevent

        gevent.spawn(target, *args)
    else:
        threading.Thread(target=target, args=args, name="tocsin-close-sockets").start()
