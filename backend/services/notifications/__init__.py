"""Notifications: in-app list, WeChat subscribe-message grants, delivery through the outbox, the shared token.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.notifications import messages
from backend.services.notifications.notify import (
    KINDS,
    Notice,
    list_my_notifications,
    mark_read,
    notify,
    templates,
    unread_count,
)
from backend.services.notifications.subscriptions import record_subscriptions

__all__ = [
    "KINDS",
    "Notice",
    "list_my_notifications",
    "mark_read",
    "messages",
    "notify",
    "record_subscriptions",
    "templates",
    "unread_count",
]
