"""A pub/sub subscriber that reads and discards: one Tocsin worker's Redis link, minus
the worker (bench pubsub). Run by the benchmark, not by hand.

Sends one (P|S)SUBSCRIBE, then reads as fast as the socket gives, counting the messages
(``message\\r\\n`` ends the type of ``message``, ``pmessage`` and ``smessage``); on
SIGUSR1 it prints the count and its CPU seconds since the subscription on stdout, and
on SIGTERM it prints them and exits.

``--redis-py`` listens as a Tocsin worker's broker does instead (redis-py's
``pubsub.get_message(timeout=1.0)``, the user id parsed from the channel, the JSON
decoded): its CPU per message is what a worker spends on an event for a user whose
sockets it does not hold.
"""

import argparse
import contextlib
import json
import resource
import signal
import socket
import sys

import redis

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
    parser.add_argument("--redis-py", action="store_true", help="listen as Tocsin's broker")
    parser.add_argument("command", nargs=2, help="e.g. PSUBSCRIBE 'tocsin:user:*'")
    args = parser.parse_args()

    def stop(*_):
        raise Stop

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGUSR1, report)
    with contextlib.suppress(Stop):  # a stop before the loop had started
        listen(*args.command, port=args.port) if args.redis_py else drain(args)
    report()


def report(*_) -> None:
    """One line on stdout: messages counted, CPU seconds since the subscription."""
    sys.stdout.write(f"{Counter.n} {cpu() - Counter.cpu0}\n")
    sys.stdout.flush()


class Counter:
    """Messages counted so far (SIGTERM may land anywhere), and the CPU seconds used
    before the first read (start-up and imports, left out of the figure)."""

    n = 0
    cpu0 = 0.0


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drain(args) -> int:
    tail = b""
    sock = socket.create_connection(("127.0.0.1", args.port))
    sock.sendall(resp(*args.command))
    Counter.cpu0 = cpu()
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data = tail + chunk
            Counter.n += data.count(END)
            # Keep a few bytes that may start a marker split across two reads; they are
            # too few to hold a whole one, so nothing is counted twice.
            tail = data[-(len(END) - 1) :]
    except Stop:
        pass
    return Counter.n


def listen(command: str, channel: str, port: int) -> int:
    """What tocsin.broker.redis does with each message, short of the local dispatch."""
    prefix = channel.rstrip("*")
    pubsub = redis.Redis(port=port, decode_responses=True).pubsub()
    getattr(pubsub, command.lower())(channel)
    Counter.cpu0 = cpu()
    try:
        while True:
            message = pubsub.get_message(timeout=1.0)
            if message is None or not message["type"].endswith("message"):
                continue
            int(message["channel"][len(prefix) :])
            json.loads(message["data"])
            Counter.n += 1
    except Stop:
        pass
    return Counter.n


if __name__ == "__main__":
    main()
