"""Writing messages into the outbox inside the caller's transaction, and the worker's claim-and-settle steps.

Claiming: a short write transaction picks due messages (PostgreSQL `FOR UPDATE SKIP LOCKED`, so workers never
wait on each other; SQLite `BEGIN IMMEDIATE`), counts the attempt and moves `next_attempt_at` to the end of a lease.
Delivery then happens outside any transaction. A worker that dies mid-delivery leaves the message pending; when its
lease ends another worker takes it again (at least once, with the same `message_id`).
"""

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend import clock
from backend.database import write_transaction
from backend.models import OutboxMessage
from backend.services.outbox.handlers import Delivery

ERROR_LENGTH = 500


def enqueue_message(
    session: Session, *, kind: str, payload: dict, village_id: int | None = None, dedupe_key: str | None = None
) -> OutboxMessage:
    """Add a message to the caller's open write transaction; it is delivered only if that transaction commits.

    With `dedupe_key`, a second call (a retried request, two racing writers) returns the first message instead.
    """
    values = {
        "message_id": str(uuid.uuid4()),
        "kind": kind,
        "payload": payload,
        "village_id": village_id,
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": clock.now(),
        "created_at": clock.now(),
    }
    if dedupe_key is None:
        message = OutboxMessage(**values)
        session.add(message)
        session.flush()
        return message
    # ON CONFLICT DO NOTHING: a concurrent writer with the same key waits for the other's commit, then skips.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.execute(stmt)
    return session.execute(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).scalar_one()


def claim_due(*, batch: int, lease_seconds: int) -> list[Delivery]:
    """Claim up to `batch` due messages for this worker, oldest due first; each claim counts one attempt."""
    now = clock.now()
    with write_transaction() as session:
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        claimed = []
        for message in session.execute(stmt).scalars():
            message.attempts += 1
            message.next_attempt_at = now + timedelta(seconds=lease_seconds)
            claimed.append(
                Delivery(
                    id=message.id,
                    message_id=message.message_id,
                    kind=message.kind,
                    payload=dict(message.payload),
                    village_id=message.village_id,
                    attempt=message.attempts,
                )
            )
        return claimed


def mark_delivered(delivery: Delivery) -> None:
    """Record the delivery (even if a slower worker's lease already passed it on: it was delivered)."""
    with write_transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == delivery.id, OutboxMessage.status == "pending")
            .values(status="delivered", delivered_at=clock.now(), last_error=None)
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    def delay(self, attempt: int) -> timedelta:
        """Exponential backoff with jitter: base * 2^(attempt-1), capped, then scaled by a random 50-100%."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(attempt - 1, 0))
        return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


def mark_failed(delivery: Delivery, *, error: str, permanent: bool, policy: RetryPolicy) -> str:
    """Schedule the next attempt, or dead-letter the message; returns the new status.

    Fenced by the attempt count: if this worker's lease ran out and another worker claimed the message since,
    the newer claim decides and this late answer changes nothing.
    """
    dead = permanent or delivery.attempt >= policy.max_attempts
    values = {"last_error": error[:ERROR_LENGTH]}
    if dead:
        values["status"] = "dead"
    else:
        values["next_attempt_at"] = clock.now() + policy.delay(delivery.attempt)
    with write_transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == delivery.id,
                OutboxMessage.status == "pending",
                OutboxMessage.attempts == delivery.attempt,
            )
            .values(**values)
        )
    return "dead" if dead else "pending"


def requeue_message(session: Session, message: OutboxMessage) -> None:
    """Inside the caller's transaction: deliver a delivered or dead message again, same `message_id`, fresh attempts."""
    message.status, message.attempts, message.next_attempt_at = "pending", 0, clock.now()
    message.delivered_at = None
