"""What staff see of the outbox: messages that were given up on (dead letters), and retrying one."""

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, NotFound
from backend.models import OutboxMessage
from backend.services.access import STAFF_ROLES, Caller, require_role, village_ids_in_scope
from backend.services.audit import record_audit
from backend.services.paging import paginate


class NotDead(Conflict):
    status, message = "not_dead_letter", "这条消息不在死信列表中（已重试或已送达），无需重试。"


def _scoped(stmt, caller: Caller):
    villages = village_ids_in_scope(caller)
    if villages is None:
        return stmt  # platform admins also see the messages that concern no village
    return stmt.where(OutboxMessage.village_id.in_(villages))


def list_dead_letters(*, caller: Caller, kind: str | None, limit: int, cursor: str | None) -> dict:
    """Dead messages of the caller's villages, newest first."""
    require_role(caller, *STAFF_ROLES)
    stmt = _scoped(select(OutboxMessage).where(OutboxMessage.status == "dead"), caller)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return paginate(stmt, OutboxMessage.id, limit=limit, cursor=cursor)


def retry_dead_letter(*, caller: Caller, message_id: int) -> OutboxMessage:
    """Put a dead message back in the queue with a fresh count of attempts; audited."""
    require_role(caller, *STAFF_ROLES)
    with write_transaction() as session:
        message = session.execute(
            _scoped(select(OutboxMessage).where(OutboxMessage.id == message_id), caller).with_for_update()
        ).scalar_one_or_none()
        if message is None:
            raise NotFound()
        if message.status != "dead":
            raise NotDead()
        before = {"status": message.status, "attempts": message.attempts, "last_error": message.last_error}
        message.status, message.attempts, message.next_attempt_at = "pending", 0, clock.now()
        record_audit(
            session,
            actor=caller,
            action="outbox.retry",
            entity=message,
            before=before,
            after={"status": "pending", "message_id": message.message_id},
        )
        return message
