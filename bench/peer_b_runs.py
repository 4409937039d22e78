"""Peer B (Flask-SocketIO, bench.peers.socketio_peer) in bench.latency's harness.

`run_peer_b` mirrors `bench.latency.run_peer_a`: the same load client (speaking
Socket.IO), the same users, the same `measure`, so every notification is checked
exactly once the same way. Kept out of the peer's module, which gunicorn imports.
"""

from pathlib import Path

from .latency import SPACING_S, USERS, LatencyClient, measure_modes, peer_b_broadcaster, user_keys
from .peers.socketio_peer import PeerB, peer_b_publisher


class SocketIOLatencyClient(LatencyClient):
    """bench.latency_client speaking Socket.IO (``--protocol socketio``)."""

    def __init__(self, ws_url: str, origin: str, cookies: dict[str, str], workdir: Path):
        super().__init__(ws_url, origin, cookies, workdir, protocol="socketio")


def run_peer_b(
    redis_url: str,
    prefix: str,
    clients: int,
    publishes: int,
    workdir: Path,
    spacing=SPACING_S,
    peer: PeerB | None = None,
    pinned: bool = False,
    template: str | None = None,
    modes=("targeted",),
) -> dict:
    """One peer B measurement; starts (and stops) its own peer unless one is given.

    `template` is the push to send (placeholders in); without it, the template file the
    given peer was started with, else raw_ws.fragment().
    """
    own = peer is None
    peer = peer or PeerB(redis_url, prefix)
    if template is None and peer.template is not None:
        template = Path(peer.template).read_text()
    keys = user_keys(users=min(USERS, clients))
    user_ids = {k: i + 1 for i, k in enumerate(keys)}
    cookies = {k: f"bench_user={uid}" for k, uid in user_ids.items()}
    publish = peer_b_broadcaster(peer_b_publisher(redis_url, prefix, template), user_ids)
    client = SocketIOLatencyClient(peer.ws_url, peer.origin, cookies, workdir)
    try:
        return measure_modes(
            client, publish, user_ids, clients, publishes, spacing, peer.pid, pinned, modes
        )
    finally:
        client.quit()
        publish.close()
        if own:
            peer.stop()
