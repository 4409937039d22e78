"""Tocsin: a server-rendered live notification center for Flask.

The names below load on first use, so that importing the package alone stays light:
`gunicorn -c python:tocsin.gunicorn` imports it in the master, before a gevent worker
has patched the standard library (psycopg imported earlier would block the worker).
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the type checker sees the real names
    from .channels.base import QueuedChannel
    from .channels.outcomes import Permanent, Retry, Skip
    from .extension import Tocsin
    from .notifications.channels import Channel
    from .notifications.decisions import Decision, Delivery, Rule
    from .notifications.escalation import Step
    from .notifications.policy import Plan
    from .notifications.preferences import Preferences
    from .notifications.publish import notify, notify_many
    from .notifications.types import Action, NotificationType
    from .notifications.validation import InvalidNotification, NotificationInput
    from .recipients import IdDirectory, ModelDirectory

#: Public name -> the module that defines it.
_EXPORTS = {
    "Tocsin": ".extension",
    "notify": ".notifications.publish",
    "notify_many": ".notifications.publish",
    "InvalidNotification": ".notifications.validation",
    "IdDirectory": ".recipients",
    "Channel": ".notifications.channels",
    "Decision": ".notifications.decisions",
    "Delivery": ".notifications.decisions",
    "Rule": ".notifications.decisions",
    "Plan": ".notifications.policy",
    "Preferences": ".notifications.preferences",
    "NotificationType": ".notifications.types",
    "Action": ".notifications.types",
    "NotificationInput": ".notifications.validation",
    "ModelDirectory": ".recipients",
    "QueuedChannel": ".channels.base",
    "Skip": ".channels.outcomes",
    "Retry": ".channels.outcomes",
    "Permanent": ".channels.outcomes",
    "Step": ".notifications.escalation",
}

__all__ = [
    "Action",
    "Channel",
    "Decision",
    "Delivery",
    "IdDirectory",
    "InvalidNotification",
    "ModelDirectory",
    "NotificationInput",
    "NotificationType",
    "Permanent",
    "Plan",
    "Preferences",
    "QueuedChannel",
    "Retry",
    "Rule",
    "Skip",
    "Step",
    "Tocsin",
    "notify",
    "notify_many",
]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
