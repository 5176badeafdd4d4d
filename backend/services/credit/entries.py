"""Credit entries: village-rule violations in their public notice (公示), objections (异议), honours (荣誉申报).

A violation counts from the end of its notice window (`notice_days` of the version in force when it is
recorded); during the window the villager sees it and may object once, which freezes it until the committee
decides. An honour application counts once approved and its own notice window has passed.
"""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput, NotFound
from backend.extensions import db
from backend.models import CreditEntry, CreditObjection, HonourApplication, Upload, Villager
from backend.services.access import STAFF_ROLES, Caller, require_role, scope
from backend.services.audit import record_audit, snapshot
from backend.services.credit.scores import version_on
from backend.services.notifications import messages, notify
from backend.services.paging import paginate
from backend.services.webhooks import publish_event


class ObjectionWindowClosed(Conflict):
    status, message = "objection_window_closed", "公示期已于 %(day)s 结束，不能再提出异议。"


class AlreadyObjected(Conflict):
    status, message = "already_objected", "这条记录已经提出过异议，请等待村委会处理结果。"


class NotObjectable(Conflict):
    status, message = "not_objectable", "这条记录已撤销，无需再提出异议。"


class NoOpenObjection(Conflict):
    status, message = "no_open_objection", "这条记录没有待处理的异议。"


class ApplicationDecided(Conflict):
    status, message = "application_decided", "该申请已处理（%(status)s），不能重复处理。"


def check_rule(session: Session, *, village_id: int, rule_code: str, day: date, direction: int):
    """The rule of the version in force on `day`, if it moves credit in `direction`; 422 naming rule_code if not."""
    version = version_on(session, village_id, day)
    rule = version.rules_by_code.get(rule_code)
    if rule is None or not rule.moves_credit:
        raise InvalidInput(errors={"rule_code": [f"第 {version.version} 版信用规则中没有规则 {rule_code}"]})
    if rule.direction != direction:
        wanted = "扣分" if direction < 0 else "加分"
        raise InvalidInput(errors={"rule_code": [f"规则 {rule_code}（{rule.title}）不是{wanted}项"]})
    return version, rule


def check_evidence(session: Session, *, village_id: int, file_ids: list[int]) -> list[int]:
    """Evidence files must be uploads of the same village."""
    if not file_ids:
        return []
    found = set(
        session.execute(select(Upload.id).where(Upload.id.in_(file_ids), Upload.village_id == village_id)).scalars()
    )
    missing = [file_id for file_id in file_ids if file_id not in found]
    if missing:
        raise InvalidInput(errors={"file_ids": [f"找不到本村的文件 {', '.join(map(str, missing))}"]})
    return list(dict.fromkeys(file_ids))


def check_not_future(day: date, field: str) -> None:
    if day > clock.today():
        raise InvalidInput(errors={field: ["日期不能晚于今天"]})


def notice_end(session: Session, village_id: int) -> date:
    """The first day after a notice window that opens today."""
    today = clock.today()
    return today + timedelta(days=version_on(session, village_id, today).notice_days)


def add_credit_entry(
    session: Session, *, caller: Caller, audit_action: str | None, notice: bool = False, **columns
) -> CreditEntry:
    """Add a counted credit entry recorded by `caller` to the caller's transaction, with its audit line.

    Every way an entry is made (violation, dishonesty list, court import, approved honour or repair) goes through
    here. Honours and repairs pass `audit_action=None`: their audit line is the decision on the application.
    `notice` announces the entry's public notice (公示) to webhook subscribers in the same transaction.
    """
    columns.setdefault("facts", {})
    entry = CreditEntry(status="counted", recorded_by_id=caller.user_id or None, **columns)
    session.add(entry)
    session.flush()
    if notice:
        publish_notice(session, entry)
    if audit_action is not None:
        record_audit(session, actor=caller, action=audit_action, entity=entry, after=snapshot(entry))
    return entry


def record_violation(
    *,
    caller: Caller,
    villager: Villager,
    rule_code: str,
    occurred_on: date,
    note: str | None,
    evidence_text: str | None,
    file_ids: list[int],
    quantity: float = 1,
) -> CreditEntry:
    """Register a village-rule (村规民约) violation; it enters its notice window today."""
    require_role(caller, *STAFF_ROLES)
    check_not_future(occurred_on, "occurred_on")
    with write_transaction() as session:
        version, rule = check_rule(
            session, village_id=villager.village_id, rule_code=rule_code, day=occurred_on, direction=-1
        )
        entry = add_credit_entry(
            session,
            caller=caller,
            audit_action="credit.violation.record",
            notice=True,
            village_id=villager.village_id,
            villager_id=villager.id,
            kind="rule",
            origin="violation",
            rule_code=rule_code,
            rule_version=version.version,
            occurred_on=occurred_on,
            counts_from=notice_end(session, villager.village_id),
            quantity=quantity,
            note=note,
            evidence_text=evidence_text,
            evidence_file_ids=check_evidence(session, village_id=villager.village_id, file_ids=file_ids),
        )
        notify(session, messages.notice_published(entry, rule.title))
        return entry


def list_entries(
    *, caller: Caller, village_id: int, villager_id: int | None, origin: str | None, limit: int, cursor: str | None
) -> dict:
    """A village's credit entries, newest first."""
    require_role(caller, *STAFF_ROLES)
    stmt = scope(select(CreditEntry).where(CreditEntry.village_id == village_id), CreditEntry, caller)
    if villager_id is not None:
        stmt = stmt.where(CreditEntry.villager_id == villager_id)
    if origin is not None:
        stmt = stmt.where(CreditEntry.origin == origin)
    return paginate(stmt, CreditEntry.id, limit=limit, cursor=cursor)


def get_entry_for(caller: Caller, entry_id: int) -> CreditEntry:
    """An entry the caller may see: staff in scope, or the villager it concerns; 404 otherwise."""
    entry = db.session.execute(
        scope(select(CreditEntry).where(CreditEntry.id == entry_id), CreditEntry, caller)
    ).scalar_one_or_none()
    if entry is None or (caller.role == "villager" and entry.villager_id != caller.villager_id):
        raise NotFound()
    return entry


def object_to_entry(*, caller: Caller, entry: CreditEntry, reason: str) -> CreditObjection:
    """The villager objects to an entry in its notice window; the entry is frozen until the committee decides."""
    require_role(caller, "villager")
    with write_transaction() as session:
        entry = _locked(session, entry.id)
        if session.execute(select(CreditObjection.id).where(CreditObjection.entry_id == entry.id)).first():
            raise AlreadyObjected()
        if entry.status == "revoked":
            raise NotObjectable()
        if entry.counts_from is None or clock.today() >= entry.counts_from:
            last_day = (entry.counts_from or entry.occurred_on) - timedelta(days=1)
            raise ObjectionWindowClosed(day=last_day.isoformat())
        objection = CreditObjection(
            village_id=entry.village_id,
            entry_id=entry.id,
            villager_id=entry.villager_id,
            reason=reason,
            status="open",
            raised_by_id=caller.user_id,
        )
        entry.status = "frozen"
        session.add(objection)
        session.flush()
        record_audit(
            session, actor=caller, action="credit.objection.raise", entity=objection, after=snapshot(objection)
        )
        return objection


def decide_objection(*, caller: Caller, entry: CreditEntry, upheld: bool, note: str) -> CreditEntry:
    """Upheld: the entry is revoked. Dismissed: it counts again, from the end of its notice window."""
    require_role(caller, *STAFF_ROLES)
    with write_transaction() as session:
        entry = _locked(session, entry.id)
        objection = session.execute(
            select(CreditObjection).where(CreditObjection.entry_id == entry.id, CreditObjection.status == "open")
        ).scalar_one_or_none()
        if objection is None:
            raise NoOpenObjection()
        before = snapshot(entry)
        objection.status = "upheld" if upheld else "dismissed"
        objection.decided_by_id, objection.decided_at, objection.decision_note = caller.user_id, clock.now(), note
        entry.status = "revoked" if upheld else "counted"
        record_audit(
            session,
            actor=caller,
            action="credit.objection.uphold" if upheld else "credit.objection.dismiss",
            entity=entry,
            before=before,
            after={**snapshot(entry), "objection_id": objection.id, "note": note},
        )
        notify(session, messages.objection_decided(entry, upheld=upheld, note=note))
        return entry


def objection_of(entry_id: int) -> CreditObjection | None:
    return db.session.execute(select(CreditObjection).where(CreditObjection.entry_id == entry_id)).scalar_one_or_none()


def apply_honour(
    *,
    caller: Caller,
    villager_id: int | None,
    rule_code: str,
    occurred_on: date,
    description: str,
    facts: dict,
    evidence_text: str | None,
    file_ids: list[int],
) -> HonourApplication:
    """A villager (for themselves) or the committee applies for an honour item of the rule set."""
    require_role(caller, "villager", *STAFF_ROLES)
    check_not_future(occurred_on, "occurred_on")
    villager = _honoured_villager(caller, villager_id)
    with write_transaction() as session:
        check_rule(session, village_id=villager.village_id, rule_code=rule_code, day=occurred_on, direction=1)
        application = HonourApplication(
            village_id=villager.village_id,
            villager_id=villager.id,
            rule_code=rule_code,
            occurred_on=occurred_on,
            description=description,
            facts=facts,
            evidence_text=evidence_text,
            evidence_file_ids=check_evidence(session, village_id=villager.village_id, file_ids=file_ids),
            applied_by_id=caller.user_id,
            status="applied",
        )
        session.add(application)
        session.flush()
        record_audit(
            session,
            actor=caller,
            action="credit.honour.apply",
            entity=application,
            after=snapshot(application),
        )
        return application


def _honoured_villager(caller: Caller, villager_id: int | None) -> Villager:
    # A villager applies for themselves only; staff name a villager of their scope.
    if caller.role == "villager":
        if caller.villager_id is None or villager_id not in (None, caller.villager_id):
            raise NotFound()
        return db.session.get(Villager, caller.villager_id)
    if villager_id is None:
        raise InvalidInput(errors={"villager_id": ["请指定申报的村民"]})
    villager = db.session.execute(
        scope(select(Villager).where(Villager.id == villager_id), Villager, caller)
    ).scalar_one_or_none()
    if villager is None:
        raise NotFound()
    return villager


def list_honours(*, caller: Caller, village_id: int, status: str | None, limit: int, cursor: str | None) -> dict:
    require_role(caller, *STAFF_ROLES)
    stmt = scope(select(HonourApplication).where(HonourApplication.village_id == village_id), HonourApplication, caller)
    if status is not None:
        stmt = stmt.where(HonourApplication.status == status)
    return paginate(stmt, HonourApplication.id, limit=limit, cursor=cursor)


def decide_honour(*, caller: Caller, application: HonourApplication, approve: bool, note: str | None):
    """Approval registers the honour as an entry that counts after a notice window; rejection needs a reason."""
    require_role(caller, *STAFF_ROLES)
    with write_transaction() as session:
        application = session.execute(
            select(HonourApplication).where(HonourApplication.id == application.id).with_for_update()
        ).scalar_one()
        if application.status != "applied":
            raise ApplicationDecided(status=application.status)
        before = snapshot(application)
        application.status = "approved" if approve else "rejected"
        application.decided_by_id, application.decided_at = caller.user_id, clock.now()
        application.decision_note = note
        if approve:
            version, rule = check_rule(
                session,
                village_id=application.village_id,
                rule_code=application.rule_code,
                day=application.occurred_on,
                direction=1,
            )
            entry = add_credit_entry(
                session,
                caller=caller,
                audit_action=None,
                notice=True,
                village_id=application.village_id,
                villager_id=application.villager_id,
                kind="rule",
                origin="honour",
                rule_code=application.rule_code,
                rule_version=version.version,
                occurred_on=application.occurred_on,
                counts_from=notice_end(session, application.village_id),
                quantity=1,
                facts=application.facts or {},
                note=application.description[:200],
                evidence_text=application.evidence_text,
                evidence_file_ids=application.evidence_file_ids or [],
            )
            application.entry_id = entry.id
            notify(session, messages.notice_published(entry, rule.title))
        record_audit(
            session,
            actor=caller,
            action="credit.honour.approve" if approve else "credit.honour.reject",
            entity=application,
            before=before,
            after=snapshot(application),
        )
        return application


def _locked(session: Session, entry_id: int) -> CreditEntry:
    return session.execute(select(CreditEntry).where(CreditEntry.id == entry_id).with_for_update()).scalar_one()


def publish_notice(session: Session, entry: CreditEntry) -> None:
    """Announce an entry's public notice (公示) to the village's webhook subscribers, in the entry's transaction."""
    publish_event(
        session,
        event_type="notice.published",
        village_id=entry.village_id,
        key=f"credit_entry:{entry.id}",
        data={
            "entry_id": entry.id,
            "villager_id": entry.villager_id,
            "origin": entry.origin,
            "rule_code": entry.rule_code,
            "occurred_on": entry.occurred_on.isoformat(),
            "notice_until": entry.counts_from.isoformat() if entry.counts_from else None,
        },
    )
