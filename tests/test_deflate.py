"""The server's small deflate compressor: what it sends decodes with the window agreed."""

import random

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason

from tocsin.live.deflate import SmallDeflate


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


def test_a_deflate_bomb_is_refused_before_it_inflates():
    """10 MB of one letter deflates to ~10 KB; the server stops at max_inflate (1009)."""
    client, server = WSConnection(ConnectionType.CLIENT), WSConnection(ConnectionType.SERVER)
    server.receive_data(
        client.send(Request(host="x", target="/", extensions=[PerMessageDeflate()]))
    )
    list(server.events())
    client.receive_data(
        server.send(AcceptConnection(extensions=[SmallDeflate(max_inflate=16 * 1024)]))
    )
    list(client.events())
    wire = client.send(TextMessage(data="a" * 10_000_000))
    assert len(wire) < 20_000
    inflated, closes = 0, []
    for start in range(0, len(wire), 4096):  # as simple-websocket reads: 4 KiB at a time
        server.receive_data(wire[start : start + 4096])
        for event in server.events():
            if isinstance(event, TextMessage):
                inflated += len(event.data)
            elif isinstance(event, CloseConnection):
                closes.append(event.code)
        if closes:
            break
    assert closes == [CloseReason.MESSAGE_TOO_BIG]
    assert inflated <= 16 * 1024
