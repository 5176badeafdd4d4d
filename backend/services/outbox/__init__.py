"""The transactional outbox (DESIGN.md "Architecture"): side effects leave the process only after their cause commits.

Callers add a message with `enqueue_message(session, ...)` inside their own write transaction; `flask worker`
delivers it at least once through the handler registered for its `kind`, with backoff between attempts and a
dead-letter list staff can see and retry. Receivers deduplicate on `message_id`, which never changes.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.outbox.dead_letters import NotDead, list_dead_letters, retry_dead_letter
from backend.services.outbox.handlers import (
    HANDLERS,
    Delivery,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
    handler_for,
    register_handler,
)
from backend.services.outbox.queue import RetryPolicy, claim_due, enqueue_message, requeue_message
from backend.services.outbox.worker import DeliveryReport, deliver_due, deliver_one, run_worker

__all__ = [
    "HANDLERS",
    "Delivery",
    "DeliveryError",
    "DeliveryReport",
    "NotDead",
    "PermanentDeliveryError",
    "RetryPolicy",
    "RetryableDeliveryError",
    "claim_due",
    "deliver_due",
    "deliver_one",
    "enqueue_message",
    "handler_for",
    "list_dead_letters",
    "register_handler",
    "requeue_message",
    "retry_dead_letter",
    "run_worker",
]
