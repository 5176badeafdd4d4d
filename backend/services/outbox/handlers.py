"""Delivery handlers, looked up by the message's `kind`: a new kind of side effect is one function and one line.

A handler gets a `Delivery` (never an ORM row: it runs outside any transaction), does its one outside call, and
either returns (delivered) or raises `RetryableDeliveryError` (try again later) or `PermanentDeliveryError`
(dead-letter it now). Any other exception counts as retryable.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a handler sees of one message: the stable id receivers deduplicate on, and the payload."""

    id: int
    message_id: str
    kind: str
    payload: dict[str, Any]
    village_id: int | None
    attempt: int


class DeliveryError(Exception):
    """A delivery failed; the message (no secrets) is kept as the message's last error."""


class RetryableDeliveryError(DeliveryError):
    """The receiver may accept it later (timeout, busy, expired token)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (the user refused, the payload is invalid): dead-letter at once."""


Handler = Callable[[Delivery], None]

# The registry: kind -> "module:function". Named by path, not imported, because the packages that enqueue
# messages import the outbox; importing them back from here would make a cycle.
HANDLER_PATHS: dict[str, str] = {
    "webhook": "backend.services.webhooks.delivery:deliver_webhook",
    "wechat.subscribe": "backend.services.notifications.delivery:send_subscribe_message",
}

# Handlers registered at run time (tests swap one in); they take precedence over HANDLER_PATHS.
HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    """Deliver messages of `kind` with `handler` in this process (the last registration wins)."""
    HANDLERS[kind] = handler


def handler_for(kind: str) -> Handler | None:
    """The handler of `kind`, or None when nothing delivers it."""
    if kind in HANDLERS:
        return HANDLERS[kind]
    path = HANDLER_PATHS.get(kind)
    if path is None:
        return None
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
