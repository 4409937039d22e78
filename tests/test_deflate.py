"""The server's small deflate compressor: what it sends decodes with the window agreed."""

import random

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage
from wsproto.extensions import PerMessageDeflate

from app.live.deflate import SmallDeflate


def connected_pair() -> tuple[WSConnection, WSConnection]:
    client, server = WSConnection(ConnectionType.CLIENT), WSConnection(ConnectionType.SERVER)
    server.receive_data(
        client.send(Request(host="x", target="/", extensions=[PerMessageDeflate()]))
    )
    (request,) = server.events()
    assert isinstance(request, Request)
    client.receive_data(server.send(AcceptConnection(extensions=[SmallDeflate()])))
    (accepted,) = client.events()
    assert isinstance(accepted, AcceptConnection) and accepted.extensions
    return client, server


def test_pushes_compress_and_decode_across_messages():
    client, server = connected_pair()
    rng = random.Random(7)
    words = ["<li>", "notification", "tocsin-item", "is-unread", "</li>", "data-id"]
    messages = [
        " ".join(rng.choice(words) + str(rng.randrange(10**6)) for _ in range(6000))
        for _ in range(4)
    ]  # ~90 KB each: longer than the 4 KiB window, and later ones refer to earlier ones
    for text in messages:
        wire = server.send(TextMessage(data=text))
        assert len(wire) < len(text) / 2  # compressed
        client.receive_data(wire)
        received = "".join(e.data for e in client.events() if isinstance(e, TextMessage))
        assert received == text
