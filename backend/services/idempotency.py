"""The Idempotency-Key store (Stripe semantics) behind `backend.api.idempotency.idempotent`.

A key belongs to the user who sent it. The first request with a key runs; its answer (status and body) is kept
for IDEMPOTENCY_KEY_HOURS (24 by default) and replayed for every retry with the same body. A retry with another
body is refused (409 idempotency_key_reused), a retry while the first is still running gets 409
idempotency_key_in_use. A request that failed on our side (5xx) keeps nothing, so a retry runs afresh.

One transaction holds the work, the claim of its key and the answer. A use case given a `Claim` runs its work in
`claimed_transaction(claim)`: the key is taken first (a concurrent twin stops there), the work follows, and the
transaction is then held open instead of committed. The HTTP layer renders the answer as it renders any other,
and `keep_answer` writes it into that held transaction and commits: the sale and its receipt become visible
together, or not at all. Nothing here knows how an answer is rendered. A request refused before its use case
wrote anything keeps its answer with one insert.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import clock
from backend.database import begin_write, write_transaction
from backend.errors import Conflict
from backend.extensions import db
from backend.models import IdempotencyKey
from backend.settings import current_settings

MAX_KEY_LENGTH = 255  # the column's size; UUIDs (36) and Stripe-style keys fit


class KeyInProgress(Conflict):
    status, message = "idempotency_key_in_use", "同一请求正在处理中，请稍后重试。"


class KeyReused(Conflict):
    status, message = "idempotency_key_reused", "该 Idempotency-Key 已用于另一个请求，请换一个新的。"


@dataclass(frozen=True)
class Answer:
    """A finished earlier answer to replay."""

    status: int
    body: str


@dataclass
class Claim:
    """The key a request runs under; a use case takes it inside its own transaction (`claimed_transaction`)."""

    user_id: int
    key: str
    fingerprint: str
    row: IdempotencyKey | None = field(default=None, repr=False)
    # The use case's transaction, held open after its work until the answer is kept in it.
    held: Session | None = field(default=None, repr=False)


def _stale(row: IdempotencyKey) -> bool:
    settings = current_settings()
    now = clock.now()
    if now - row.created_at >= timedelta(hours=settings.idempotency_key_hours):
        return True
    # A row without an answer outlives its transaction only if written by an older release of this code; after the
    # lock timeout a retry may take it over.
    lock = timedelta(seconds=settings.idempotency_lock_seconds)
    return row.response_status is None and now - row.created_at >= lock


def look_up_key(claim: Claim) -> Answer | None:
    """The earlier answer under the claim's key to replay, None when the key is free; 409 for another body."""
    row = db.session.execute(
        select(IdempotencyKey).where(IdempotencyKey.user_id == claim.user_id, IdempotencyKey.key == claim.key)
    ).scalar_one_or_none()
    if row is None:
        return None
    if _stale(row):
        with write_transaction() as session:
            session.execute(
                delete(IdempotencyKey).where(IdempotencyKey.id == row.id, IdempotencyKey.created_at == row.created_at)
            )
        return None
    if row.fingerprint != claim.fingerprint:
        raise KeyReused()
    if row.response_status is None:
        raise KeyInProgress()
    return Answer(status=row.response_status, body=row.response_body)


@contextmanager
def claimed_transaction(claim: Claim | None) -> Iterator[Session]:
    """A use case's write transaction; under a claim, its key is taken first and the commit waits for the answer.

    Without a claim (a request sent no key, a command, a test) this is `write_transaction()`. With one, a
    concurrent request holding the same key makes this raise KeyInProgress before any work is done; after the
    work the transaction stays open for `keep_answer` (or `drop_claim`) to end.
    """
    if claim is None:
        with write_transaction() as session:
            yield session
        return
    session = begin_write()
    try:
        row = IdempotencyKey(
            user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint, created_at=clock.now()
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise KeyInProgress() from None  # nothing of this request stays
        yield session
        session.flush()  # ids and defaults of the work are there for the answer, as after a commit
    except BaseException:
        session.rollback()
        raise
    claim.row, claim.held = row, session


def keep_answer(claim: Claim, *, status: int, body: str) -> Answer | None:
    """Keep the answer for replay; None when kept, or the answer of a concurrent twin that holds the key.

    With a held transaction the answer is written into it and everything commits at once. Otherwise (the request
    was refused before its use case wrote anything) the answer is kept with one insert.
    """
    if claim.held is not None:
        session, claim.held = claim.held, None
        claim.row.response_status, claim.row.response_body = status, body  # flushed by the commit
        try:
            session.commit()
        except BaseException:
            session.rollback()
            raise
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
        # A concurrent request with the same key committed while this one was being refused: answer as it did.
        earlier = look_up_key(claim)
        if earlier is None:
            raise KeyInProgress() from None  # the twin failed on our side and let the key go; a retry runs
        return earlier


def drop_claim(claim: Claim) -> None:
    """Undo the held work of a request that failed after its use case ran; the key stays free for a retry."""
    if claim.held is not None:
        session, claim.held = claim.held, None
        session.rollback()


def purge_expired_keys() -> int:
    """Delete answers older than IDEMPOTENCY_KEY_HOURS; returns how many went."""
    cutoff = clock.now() - timedelta(hours=current_settings().idempotency_key_hours)
    with write_transaction() as session:
        return session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount
