"""Credit repair (信用修复): a villager says what they did to put a deduction right; the committee decides.

Approval adds a repair entry that reverses the target from the day of approval; the target and its history stay.
"""

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput
from backend.models import CreditEntry, CreditRepair
from backend.services.access import STAFF_ROLES, Caller, require_role, scope
from backend.services.audit import record_audit, snapshot
from backend.services.credit.entries import ApplicationDecided, add_credit_entry, check_evidence
from backend.services.notifications import messages, notify
from backend.services.paging import paginate

REPAIRABLE_ORIGINS = ("violation", "village_list")


class RepairAlreadyRequested(Conflict):
    status, message = "repair_already_requested", "这条记录已有修复申请（%(status)s），不能重复申请。"


class NotRepairable(Conflict):
    status, message = "not_repairable", "这条记录不能申请信用修复：只有已生效的扣分或村失信清单记录可以修复。"


def apply_repair(
    *, caller: Caller, entry: CreditEntry, statement: str, evidence_text: str | None, file_ids: list[int]
) -> CreditRepair:
    """The villager asks to repair one of their own counted deductions or village-list entries."""
    require_role(caller, "villager")
    with write_transaction() as session:
        entry = session.execute(select(CreditEntry).where(CreditEntry.id == entry.id).with_for_update()).scalar_one()
        if entry.origin not in REPAIRABLE_ORIGINS or entry.status != "counted":
            raise NotRepairable()
        previous = session.execute(
            select(CreditRepair.status).where(
                CreditRepair.entry_id == entry.id, CreditRepair.status.in_(("applied", "approved"))
            )
        ).scalar()
        if previous is not None:
            raise RepairAlreadyRequested(status={"applied": "待审核", "approved": "已批准"}[previous])
        repair = CreditRepair(
            village_id=entry.village_id,
            villager_id=entry.villager_id,
            entry_id=entry.id,
            statement=statement,
            evidence_text=evidence_text,
            evidence_file_ids=check_evidence(session, village_id=entry.village_id, file_ids=file_ids),
            applied_by_id=caller.user_id,
            status="applied",
        )
        session.add(repair)
        session.flush()
        record_audit(session, actor=caller, action="credit.repair.apply", entity=repair, after=snapshot(repair))
        return repair


def decide_repair(*, caller: Caller, repair: CreditRepair, approve: bool, note: str | None) -> CreditRepair:
    """Approve (adds a reversing repair entry, counting from today) or refuse with a reason."""
    require_role(caller, *STAFF_ROLES)
    if not approve and not (note or "").strip():
        raise InvalidInput(errors={"reason": ["请填写不予修复的理由"]})
    with write_transaction() as session:
        repair = session.execute(
            select(CreditRepair).where(CreditRepair.id == repair.id).with_for_update()
        ).scalar_one()
        if repair.status != "applied":
            raise ApplicationDecided(status=repair.status)
        before = snapshot(repair)
        repair.status = "approved" if approve else "refused"
        repair.decided_by_id, repair.decided_at, repair.decision_note = caller.user_id, clock.now(), note
        if approve:
            target = session.get(CreditEntry, repair.entry_id)
            today = clock.today()
            entry = add_credit_entry(
                session,
                caller=caller,
                audit_action=None,
                village_id=repair.village_id,
                villager_id=repair.villager_id,
                kind="repair",
                origin="repair",
                target_id=target.id,
                rule_code=target.rule_code,
                rule_version=target.rule_version,
                occurred_on=today,
                counts_from=today,
                note=(note or repair.statement)[:200],
                evidence_text=repair.evidence_text,
                evidence_file_ids=repair.evidence_file_ids or [],
            )
            repair.repair_entry_id = entry.id
        record_audit(
            session,
            actor=caller,
            action="credit.repair.approve" if approve else "credit.repair.refuse",
            entity=repair,
            before=before,
            after=snapshot(repair),
        )
        notify(session, messages.repair_decided(repair))
        return repair


def list_repairs(*, caller: Caller, village_id: int, status: str | None, limit: int, cursor: str | None) -> dict:
    require_role(caller, *STAFF_ROLES)
    stmt = scope(select(CreditRepair).where(CreditRepair.village_id == village_id), CreditRepair, caller)
    if status is not None:
        stmt = stmt.where(CreditRepair.status == status)
    return paginate(stmt, CreditRepair.id, limit=limit, cursor=cursor)
