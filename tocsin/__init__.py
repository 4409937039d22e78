"""Tocsin: a server-rendered live notification center for Flask."""

from .extension import Tocsin
from .notifications.channels import Channel
from .notifications.policy import Decision, Delivery, Rule
from .notifications.publish import notify, notify_many
from .notifications.validation import InvalidNotification, NotificationInput
from .recipients import ModelDirectory

__all__ = [
    "Channel",
    "Decision",
    "Delivery",
    "InvalidNotification",
    "ModelDirectory",
    "NotificationInput",
    "Rule",
    "Tocsin",
    "notify",
    "notify_many",
]
