"""The Idempotency-Key store behind `backend.api.idempotency` (Stripe semantics).

A key belongs to the user who sent it. The first request with a key records the fingerprint of its body and
runs; its answer (status and body) is kept for IDEMPOTENCY_KEY_HOURS (24 by default) and replayed for every
retry with the same body. A retry with another body is refused (422), a retry while the first is still running
gets 409. A request that ended in a server error releases its key so that a retry can run again.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput
from backend.extensions import db
from backend.models import IdempotencyKey


class KeyInProgress(Conflict):
    status, message = "idempotency_key_in_use", "同一请求正在处理中，请稍后重试。"


class KeyReused(InvalidInput):
    status, message = "idempotency_key_reused", "该 Idempotency-Key 已用于另一个请求，请换一个新的。"


@dataclass(frozen=True)
class Started:
    """Either a fresh claim (`key_id`) or a finished earlier answer to replay (`status`, `body`)."""

    key_id: int | None = None
    status: int | None = None
    body: str | None = None


def _stale(row: IdempotencyKey) -> bool:
    now = clock.now()
    if now - row.created_at >= timedelta(hours=current_app.config["IDEMPOTENCY_KEY_HOURS"]):
        return True
    # A worker that died mid-request leaves its claim behind; after the lock timeout a retry may take over.
    lock = timedelta(seconds=current_app.config["IDEMPOTENCY_LOCK_SECONDS"])
    return row.response_status is None and now - row.created_at >= lock


def start_request(*, user_id: int, key: str, fingerprint: str) -> Started:
    """Claim `key` for this request, or say what to answer instead (replay, 409 running, 422 other body)."""
    for _attempt in range(2):
        try:
            with write_transaction() as session:
                row = session.execute(
                    select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                ).scalar_one_or_none()
                if row is not None and _stale(row):
                    session.delete(row)
                    session.flush()
                    row = None
                if row is None:
                    row = IdempotencyKey(user_id=user_id, key=key, fingerprint=fingerprint)
                    session.add(row)
                    session.flush()
                    return Started(key_id=row.id)
                if row.fingerprint != fingerprint:
                    raise KeyReused()
                if row.response_status is None:
                    raise KeyInProgress()
                return Started(status=row.response_status, body=row.response_body)
        except IntegrityError:
            # A concurrent first request inserted the same key between our read and our insert: look again.
            db.session.rollback()
    raise KeyInProgress()


def finish_request(*, key_id: int, status: int, body: str) -> None:
    """Keep the answer of the request that holds `key_id`, for replay."""
    with write_transaction() as session:
        session.execute(
            update(IdempotencyKey).where(IdempotencyKey.id == key_id).values(response_status=status, response_body=body)
        )


def release_request(*, key_id: int) -> None:
    """Forget a claim whose request failed on our side, so that a retry runs afresh."""
    with write_transaction() as session:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == key_id))


def purge_expired_keys() -> int:
    """Delete answers older than IDEMPOTENCY_KEY_HOURS; returns how many went."""
    cutoff = clock.now() - timedelta(hours=current_app.config["IDEMPOTENCY_KEY_HOURS"])
    with write_transaction() as session:
        return session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount
