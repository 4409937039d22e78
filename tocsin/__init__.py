"""Tocsin: a server-rendered live notification center for Flask."""

from .extension import Tocsin
from .notifications.publish import notify, notify_many
from .notifications.validation import InvalidNotification
from .recipients import ModelDirectory

__all__ = ["InvalidNotification", "ModelDirectory", "Tocsin", "notify", "notify_many"]
