"""GET /metrics: Prometheus' text format, for a scraper with the token or on this host.

Not public: with TOCSIN_METRICS_TOKEN set, a request must carry ``Authorization: Bearer
<token>`` (else 401); without it only 127.0.0.1 and ::1 are answered (else 404, as if
there were no such page). The address is the one the WSGI server reports
(request.remote_addr, which gunicorn takes from X-Forwarded-For only for
forwarded_allow_ips): behind a proxy on this host every request looks local, so set a
token there. It changes nothing, so it needs no CSRF token (a GET).
"""

import hmac

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from werkzeug.datastructures import WWWAuthenticate

from . import metrics, state
from .channels.scrape import DeliveryStates, QueueDepth
from .extensions import store

bp = Blueprint("tocsin_metrics", __name__)

#: The addresses a request without the token may come from.
LOCAL = ("127.0.0.1", "::1")


def init_app(app: Flask) -> None:
    """Serve /metrics on `app`, at the root whatever TOCSIN_URL_PREFIX says."""
    tocsin = state.of(app)
    tocsin.queue_depth = QueueDepth(tocsin.queue) if tocsin.queue is not None else None
    app.register_blueprint(bp)


@bp.get("/metrics")
def scrape():
    """Return every metric of this process, or of all workers in multiprocess mode."""
    allowed()
    registry = CollectorRegistry()
    if metrics.multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_Default())
    depth = state.current().queue_depth
    if depth is not None:
        registry.register(depth)
    registry.register(DeliveryStates(store.session))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def allowed() -> None:
    """Abort unless the request carries the token, or, without a token set, is local."""
    token = current_app.config["TOCSIN_METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "")
        # In constant time: a scraper's token must not be guessable byte by byte.
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            abort(401, www_authenticate=WWWAuthenticate("Bearer"))
        return
    if request.remote_addr not in LOCAL:
        abort(404)


class _Default:
    """This process's default registry (Tocsin's metrics, the host's, process_*) as one
    collector, beside the scrape-time ones."""

    def collect(self):
        return REGISTRY.collect()
