"""Outbound webhooks: subscriptions of towns and cities, events published through the outbox, their delivery.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.webhooks.events import publish_event

__all__ = [
    "publish_event",
]
