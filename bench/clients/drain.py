"""A pub/sub subscriber that reads and discards: one Tocsin worker's Redis link, minus
the worker (bench pubsub). Run by the benchmark, not by hand.

Sends one (P|S)SUBSCRIBE, then reads as fast as the socket gives, counting the messages
(``message\\r\\n`` ends the type of ``message``, ``pmessage`` and ``smessage``); on
SIGTERM it prints the count on stdout and exits.
"""

import argparse
import signal
import socket
import sys

END = b"message\r\n"


class Stop(Exception):
    pass


def resp(*words: str) -> bytes:
    """A command in RESP, as redis-cli sends it."""
    out = [f"*{len(words)}\r\n".encode()]
    for w in words:
        b = w.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("command", nargs="+", help="e.g. PSUBSCRIBE 'tocsin:user:*'")
    args = parser.parse_args()

    def stop(*_):
        raise Stop

    signal.signal(signal.SIGTERM, stop)
    count, tail = 0, b""
    sock = socket.create_connection(("127.0.0.1", args.port))
    sock.sendall(resp(*args.command))
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data = tail + chunk
            count += data.count(END)
            # Keep a few bytes that may start a marker split across two reads; a marker
            # that fits in them was counted already, so drop it from what is kept.
            tail = data[-(len(END) - 1) :]
    except Stop:
        pass
    sys.stdout.write(f"{count}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
