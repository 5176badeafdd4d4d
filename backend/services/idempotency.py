"""The Idempotency-Key store behind `backend.api.idempotency` (Stripe semantics).

A key belongs to the user who sent it. The first request with a key records the fingerprint of its body and
runs; its answer (status and body) is kept for IDEMPOTENCY_KEY_HOURS (24 by default) and replayed for every
retry with the same body. A retry with another body is refused (422), a retry while the first is still running
gets 409. A request that ended in a server error releases its key so that a retry can run again.

The claim is written by the use case itself, inside its own transaction (`record_claim`), so that a sale and
the claim of its key commit together. A claim that knows how to render its answer (`render`, set by the API
layer) keeps the answer in that same transaction too (`keep_answer`); otherwise `finish_request` keeps it
afterwards. A request refused before it wrote anything keeps its answer with one insert (`finish_request`
without a committed claim).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.exc import IntegrityError

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput
from backend.extensions import db
from backend.models import IdempotencyKey
from backend.settings import current_settings


class KeyInProgress(Conflict):
    status, message = "idempotency_key_in_use", "同一请求正在处理中，请稍后重试。"


class KeyReused(InvalidInput):
    status, message = "idempotency_key_reused", "该 Idempotency-Key 已用于另一个请求，请换一个新的。"


@dataclass(frozen=True)
class Answer:
    """A finished earlier answer to replay."""

    status: int
    body: str


@dataclass
class Claim:
    """A key this request means to run under; `record_claim` writes it inside the use case's transaction."""

    user_id: int
    key: str
    fingerprint: str
    row: IdempotencyKey | None = field(default=None, repr=False)
    # (status, body) of the answer a use case's result gets; set by the API layer, which owns the rendering.
    render: Callable[[object], tuple[int, str]] | None = field(default=None, repr=False)
    answer: Answer | None = None

    @property
    def committed(self) -> bool:
        """True once the transaction that recorded the claim has committed (a rollback drops the row)."""
        return self.row is not None and inspect(self.row).persistent


def _stale(row: IdempotencyKey) -> bool:
    now = clock.now()
    if now - row.created_at >= timedelta(hours=current_settings().idempotency_key_hours):
        return True
    # A worker that died mid-request leaves its claim behind; after the lock timeout a retry may take over.
    lock = timedelta(seconds=current_settings().idempotency_lock_seconds)
    return row.response_status is None and now - row.created_at >= lock


def look_up_key(*, user_id: int, key: str, fingerprint: str) -> Answer | None:
    """The earlier answer under `key` to replay, None when the key is free; 422 other body, 409 still running."""
    row = db.session.execute(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).scalar_one_or_none()
    if row is None:
        return None
    if _stale(row):
        with write_transaction() as session:
            session.execute(
                delete(IdempotencyKey).where(IdempotencyKey.id == row.id, IdempotencyKey.created_at == row.created_at)
            )
        return None
    if row.fingerprint != fingerprint:
        raise KeyReused()
    if row.response_status is None:
        raise KeyInProgress()
    return Answer(status=row.response_status, body=row.response_body)


def record_claim(session, claim: Claim) -> None:
    """Inside the use case's transaction: take the key; 409 when a concurrent request with it got there first."""
    row = IdempotencyKey(user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint, created_at=clock.now())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise KeyInProgress() from None  # the caller's transaction rolls back; nothing of this request stays
    claim.row = row


def keep_answer(session, claim: Claim, result) -> None:
    """Inside the use case's transaction, after its work: keep the answer, so work and answer commit together."""
    if claim.render is None or claim.row is None:
        return
    status, body = claim.render(result)
    claim.row.response_status, claim.row.response_body = status, body  # written by the commit's flush
    claim.answer = Answer(status=status, body=body)


def finish_request(*, claim: Claim, status: int, body: str) -> Answer | None:
    """Keep the answer for replay. None when kept; a concurrent twin's answer when that twin holds the key.

    Raises KeyInProgress (409) when the twin is still running.
    """
    if claim.committed:
        with write_transaction() as session:
            session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.id == claim.row.id)
                .values(response_status=status, response_body=body)
            )
        return None
    try:
        with write_transaction() as session:
            session.add(
                IdempotencyKey(
                    user_id=claim.user_id,
                    key=claim.key,
                    fingerprint=claim.fingerprint,
                    created_at=clock.now(),
                    response_status=status,
                    response_body=body,
                )
            )
        return None
    except IntegrityError:
        # A concurrent request with the same key claimed it while this one was being refused: answer as it does.
        earlier = look_up_key(user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint)
        if earlier is None:
            raise KeyInProgress() from None  # the twin failed on our side and let the key go; a retry runs
        return earlier


def release_request(*, claim: Claim) -> None:
    """Forget a claim whose request failed on our side, so that a retry runs afresh."""
    if not claim.committed:
        return
    with write_transaction() as session:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim.row.id))


def purge_expired_keys() -> int:
    """Delete answers older than IDEMPOTENCY_KEY_HOURS; returns how many went."""
    cutoff = clock.now() - timedelta(hours=current_settings().idempotency_key_hours)
    with write_transaction() as session:
        return session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount
