"""Database models, one module per concern: notifications and their counters, logins and
API tokens, preferences, deliveries beyond the open tab, the broker's rows, the inbox's
undo records and saved filters, and analytics.

No users: recipients are user ids of whatever app Tocsin runs in (no foreign keys).
"""

# The full-text index's DDL, hung on the notifications table's create and drop events.
from . import search  # noqa: E402, F401, I001
from .access import ApiToken, IdempotencyKey, Login
from .analytics import AnalyticsDaily, AnalyticsEvent
from .broker import BrokerEvent
from .columns import MAX_ID, UTCDateTime, utcnow
from .deliveries import Delivery, Presence, PushSubscription
from .inbox import SavedFilter, Undo
from .notifications import GroupMember, Notification, UnreadCounter
from .preferences import Held, Preference

__all__ = [
    "MAX_ID",
    "AnalyticsDaily",
    "AnalyticsEvent",
    "ApiToken",
    "BrokerEvent",
    "Delivery",
    "GroupMember",
    "Held",
    "IdempotencyKey",
    "Login",
    "Notification",
    "Preference",
    "Presence",
    "PushSubscription",
    "SavedFilter",
    "UTCDateTime",
    "Undo",
    "UnreadCounter",
    "utcnow",
]

#: Tocsin's tables: its migrations create and compare these and no others (the app's
#: own tables may share the database and even the SQLAlchemy metadata).
TABLES = frozenset(
    model.__tablename__
    for model in (
        Login,
        Notification,
        UnreadCounter,
        ApiToken,
        IdempotencyKey,
        BrokerEvent,
        Preference,
        Held,
        GroupMember,
        Undo,
        Delivery,
        PushSubscription,
        Presence,
        SavedFilter,
        AnalyticsDaily,
        AnalyticsEvent,
    )
)
