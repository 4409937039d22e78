"""The notification types Tocsin knows: icon and default priority for each."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationType:
    name: str
    icon: str
    label: str
    default_priority: str = "normal"


NOTIFICATION_TYPES: dict[str, NotificationType] = {
    t.name: t
    for t in (
        NotificationType("comment", "comment", "Comment"),
        NotificationType("mention", "mention", "Mention"),
        NotificationType("like", "like", "Like", "low"),
        NotificationType("follow", "follow", "New follower", "low"),
        NotificationType("message", "message", "Message"),
        NotificationType("friend_request", "follow", "Friend request"),
        NotificationType("order", "order", "Order"),
        NotificationType("payment", "payment", "Payment", "high"),
        NotificationType("system", "system", "System"),
        NotificationType("security", "security", "Security", "urgent"),
    )
}


def type_info(name: str) -> NotificationType:
    """Return the type's description, falling back to a generic one for retired types."""
    return NOTIFICATION_TYPES.get(name) or NotificationType(name, "system", name.title())
