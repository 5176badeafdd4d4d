"""The delivery loop behind `flask worker`: claim due messages, deliver each outside any transaction, settle it."""

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field

from backend.extensions import db
from backend.services.outbox.handlers import Delivery, PermanentDeliveryError, RetryableDeliveryError, handler_for
from backend.services.outbox.queue import RetryPolicy, claim_due, mark_delivered, mark_failed
from backend.settings import current_settings

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """What one pass (or a whole run) did, by outcome: delivered, retry, dead."""

    outcomes: Counter = field(default_factory=Counter)

    @property
    def claimed(self) -> int:
        return sum(self.outcomes.values())


def retry_policy() -> RetryPolicy:
    settings = current_settings()
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        base_seconds=settings.outbox_backoff_seconds,
        max_seconds=settings.outbox_backoff_max_seconds,
    )


def deliver_one(delivery: Delivery, policy: RetryPolicy) -> str:
    """Run the message's handler and record the outcome: "delivered", "retry" or "dead"."""
    handler = handler_for(delivery.kind)
    permanent, error = False, None
    if handler is None:
        permanent, error = True, f"no handler for kind {delivery.kind!r}"
    else:
        try:
            handler(delivery)
        except PermanentDeliveryError as failure:
            permanent, error = True, str(failure) or type(failure).__name__
        except RetryableDeliveryError as failure:
            error = str(failure) or type(failure).__name__
        except Exception as failure:  # a bug or an unexpected answer: keep the message, try again later
            log.exception("outbox handler failed", extra={"kind": delivery.kind, "message_id": delivery.message_id})
            error = f"{type(failure).__name__}: {failure}"
        finally:
            # Handlers may read the database; release that connection before settling in a fresh transaction.
            db.session.remove()
    if error is None:
        mark_delivered(delivery)
        outcome = "delivered"
    else:
        outcome = (
            "retry" if mark_failed(delivery, error=error, permanent=permanent, policy=policy) == "pending" else "dead"
        )
    log.info(
        "outbox delivery",
        extra={
            "kind": delivery.kind,
            "message_id": delivery.message_id,
            "attempt": delivery.attempt,
            "outcome": outcome,
        },
    )
    return outcome


def deliver_due(*, batch: int | None = None) -> DeliveryReport:
    """One pass: claim up to `batch` due messages and deliver them."""
    settings = current_settings()
    policy = retry_policy()
    report = DeliveryReport()
    claimed = claim_due(batch=batch or settings.outbox_batch, lease_seconds=settings.outbox_lease_seconds)
    db.session.remove()
    for delivery in claimed:
        report.outcomes[deliver_one(delivery, policy)] += 1
    return report


def run_worker(*, once: bool = False, stop: threading.Event | None = None) -> DeliveryReport:
    """Deliver until stopped; `once` drains what is due now and returns (for cron and tests)."""
    stop = stop or threading.Event()
    total = DeliveryReport()
    poll = current_settings().outbox_poll_seconds
    while not stop.is_set():
        report = deliver_due()
        total.outcomes.update(report.outcomes)
        if report.claimed:
            continue  # there may be more due right now
        if once:
            break
        stop.wait(poll)
    return total
