"""Who has a visible tab, across processes: push waits for users with none.

(Interface only until the presence stores land: see COMMON.md of issue 13.)
"""

from typing import Protocol


class Presence(Protocol):
    """Where sockets report their tab's visibility and workers ask about it."""

    def any_visible(self, user_id: int) -> bool:
        """Whether the user has a tab open and visible anywhere in the deployment."""
        ...
