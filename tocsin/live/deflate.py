"""permessage-deflate with a small compressor: most of a socket's memory was zlib's.

simple-websocket accepts every permessage-deflate offer with wsproto's defaults, and
its compressor then takes zlib's largest window and hash table: about 105 of the
166 KiB each open socket cost (bench/results/serving.md). RFC 7692 lets the sender
compress with a smaller window than the one agreed (the receiver's window only has
to be large enough), and the hash table size is the sender's own business, so a
smaller compressor needs nothing from the browser. Tocsin's pushes are a few KiB of
repetitive HTML: a 4 KiB window loses little.
"""

import zlib

import simple_websocket.ws
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason

#: LZ77 window of the server's compressor: 2**12 = 4 KiB (zlib's default is 32 KiB).
WINDOW_BITS = 12
#: zlib's memLevel: hash table of 2**(5 + 9) bytes (the default 8 takes 128 KiB).
MEM_LEVEL = 5


class SmallDeflate(PerMessageDeflate):
    """PerMessageDeflate whose server side compresses with WINDOW_BITS and MEM_LEVEL, and
    inflates at most `max_inflate` bytes from each piece of a client's frame."""

    def __init__(self, *args, max_inflate: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_inflate = max_inflate

    def frame_inbound_payload_data(self, proto, data):
        # wsproto inflates without a bound: 4 KiB read from the wire became 4 MiB (deflate
        # reaches ~1,000:1) before any message size check could run.
        compressed = self._inbound_compressed and self._inbound_is_compressible
        if not self.max_inflate or not compressed:
            return super().frame_inbound_payload_data(proto, data)
        assert self._decompressor is not None  # made by the compressed frame's header
        try:
            inflated = self._decompressor.decompress(bytes(data), self.max_inflate + 1)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        if self._decompressor.unconsumed_tail or len(inflated) > self.max_inflate:
            return CloseReason.MESSAGE_TOO_BIG
        return inflated

    def frame_outbound(self, proto, opcode, rsv, data, fin):
        if self._compressor is None and not proto.client:
            bits = min(WINDOW_BITS, self.server_max_window_bits)
            self._compressor = zlib.compressobj(
                zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -bits, MEM_LEVEL
            )
        return super().frame_outbound(proto, opcode, rsv, data, fin)


def install() -> None:
    """Make simple-websocket's server accept deflate offers with SmallDeflate."""
    # simple-websocket names the extension class in its own module, with no option.
    simple_websocket.ws.PerMessageDeflate = SmallDeflate  # type: ignore[attr-defined]  # not in its stubs
