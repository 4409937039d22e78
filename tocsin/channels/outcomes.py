"""What a channel's `attempt` raises when a delivery did not go out (base.py)."""


class Skip(Exception):  # noqa: N818 - an outcome, not an error
    """Nothing to send and nothing to retry: the delivery is "skipped", the message says why."""


class Retry(Exception):  # noqa: N818 - an outcome, not an error
    """A failure worth another attempt, after `after` seconds (None: the backoff)."""

    def __init__(self, message: str, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


class Permanent(Exception):  # noqa: N818 - an outcome, not an error
    """A failure no retry will mend (SMTP 5xx, a push service's 413): "dead" at once."""
