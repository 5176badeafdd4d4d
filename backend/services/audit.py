"""Recording staff changes in the append-only audit log, inside the caller's transaction."""

from datetime import date, datetime

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from backend.database import write_transaction
from backend.models import AuditEntry
from backend.observability import current_request_id
from backend.services.access import Caller

# Never copied into the audit log: encrypted numbers and secrets.
_HIDDEN = {
    "password_hash",
    "id_number_cipher",
    "id_number_index",
    "phone_cipher",
    "phone_index",
    "code_hash",
    "totp_secret_cipher",
}


def snapshot(obj) -> dict | None:
    """A JSON-able copy of a row's columns, without secrets."""
    if obj is None:
        return None
    values = {}
    for column in inspect(obj).mapper.column_attrs:
        if column.key in _HIDDEN:
            continue
        value = getattr(obj, column.key)
        values[column.key] = value.isoformat() if isinstance(value, date | datetime) else value
    return values


class Subject:
    """What an entry is about when no row with an integer id stands for it (a refused event, a sign-in)."""

    def __init__(self, table: str, *, id: int | None = None, village_id: int | None = None):
        self.__tablename__, self.id, self.village_id = table, id, village_id


def record_audit(
    session: Session,
    *,
    actor: Caller | None,
    action: str,
    entity,
    before: dict | None = None,
    after: dict | None = None,
    village_id: int | None = None,
) -> None:
    """Add an audit entry to the caller's transaction (`session`); the caller's commit makes it permanent."""
    if entity.id is None:
        session.flush()
    session.add(
        AuditEntry(
            village_id=village_id if village_id is not None else getattr(entity, "village_id", None),
            town_id=actor.town_id if actor else None,
            actor_id=actor.user_id if actor and actor.user_id else None,  # 0 is the shell (flask commands)
            actor_role=actor.role if actor else None,
            action=action,
            entity_type=entity.__tablename__,
            entity_id=entity.id,
            before=before,
            after=after,
            request_id=current_request_id(),
        )
    )


def record_personal_read(*, actor: Caller, action: str, villager_id: int | None, village_id: int) -> None:
    """Audit that staff opened personal data (等保; PIPL): the villager sees it in their export."""
    with write_transaction() as session:
        record_audit(
            session, actor=actor, action=action, entity=Subject("villagers", id=villager_id, village_id=village_id)
        )
