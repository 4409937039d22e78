"""The pipeline's announce stage: one small class per delivery channel, as noticed has.

A channel's `deliver` runs after the rows are committed, with the (recipient,
notification id) pairs the policy let through. It must not raise: the rows are the
record, and a recipient who missed a delivery still finds it in the inbox.
"""

from .. import broker


class Channel:
    """A way to reach a user; `name` is what policy rules and preferences call it."""

    name = "abstract"

    def deliver(self, deliveries: list[tuple[int, int]]) -> None:
        """Deliver each (user id, notification id); never raise."""
        raise NotImplementedError


class LiveChannel(Channel):
    """The open tabs: a "created" event per recipient through the broker to their sockets."""

    name = "live"

    def deliver(self, deliveries: list[tuple[int, int]]) -> None:
        """Publish the events; the broker never raises (Redis down loses no row)."""
        if deliveries:
            broker.current().publish_many(
                [(uid, {"kind": "created", "ids": [nid]}) for uid, nid in deliveries]
            )
