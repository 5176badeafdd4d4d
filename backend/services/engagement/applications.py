"""My applications: a villager's honour applications, repair requests, objections and appeals, newest first."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import CreditObjection, CreditRepair, HonourApplication, Submission
from backend.services.access import Caller, require_role

STATUS_LABELS = {
    "applied": "待审核",
    "approved": "已批准",
    "rejected": "未通过",
    "refused": "未通过",
    "open": "待处理",
    "upheld": "异议成立",
    "dismissed": "异议不成立",
    "pending": "复核中",
    "awaiting_second_approval": "复核中",
    "held": "复核中",
}


def list_my_applications(*, caller: Caller) -> list[dict]:
    """Everything the villager asked the committee for, with status and the committee's reasons."""
    require_role(caller, "villager")
    if caller.villager_id is None:
        return []
    me = caller.villager_id
    session = db.session
    items = [
        _item("honour", a.id, a.status, a.created_at, a.description, a.decision_note, a.decided_at)
        for a in session.execute(select(HonourApplication).where(HonourApplication.villager_id == me)).scalars()
    ]
    items += [
        _item("repair", r.id, r.status, r.created_at, r.statement, r.decision_note, r.decided_at)
        for r in session.execute(select(CreditRepair).where(CreditRepair.villager_id == me)).scalars()
    ]
    items += [
        _item("objection", o.id, o.status, o.created_at, o.reason, o.decision_note, o.decided_at)
        for o in session.execute(select(CreditObjection).where(CreditObjection.villager_id == me)).scalars()
    ]
    items += [
        _item(
            "appeal",
            s.id,
            s.status,
            s.updated_at,
            s.appeal_reason or "",
            s.rejection_reason if s.status == "rejected" else s.review_note,
            s.decided_at,
        )
        for s in session.execute(
            select(Submission).where(Submission.villager_id == me, Submission.appealed.is_(True))
        ).scalars()
    ]
    items.sort(key=lambda item: (item["created_at"], item["kind"], item["id"]), reverse=True)
    return items


def _item(kind, item_id, status, created_at, text, decision_note, decided_at) -> dict:
    return {
        "kind": kind,
        "id": item_id,
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "text": text,
        "decision_note": decision_note,
        "created_at": created_at,
        "decided_at": decided_at,
    }
