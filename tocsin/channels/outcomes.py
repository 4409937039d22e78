"""What a channel's `attempt` raises when a delivery did not go out (base.py)."""

from datetime import datetime


class Skip(Exception):  # noqa: N818 - an outcome, not an error
    """Nothing to send and nothing to retry: the delivery is "skipped", the message says why."""


class Retry(Exception):  # noqa: N818 - an outcome, not an error
    """A failure worth another attempt, after `after` seconds (None: the backoff)."""

    def __init__(self, message: str, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


class Permanent(Exception):  # noqa: N818 - an outcome, not an error
    """A failure no retry will mend (SMTP 5xx, a push service's 413): "dead" at once."""


class Defer(Exception):  # noqa: N818 - an outcome, not an error
    """Not now, and not a failure: due again at `until` (quiet hours, a snooze), no attempt used."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"deferred until {until.isoformat()}")
        self.until = until
