"""Notifications: in-app list, WeChat subscribe-message grants, delivery through the outbox, the shared token."""

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
