"""Villagers' consents (PIPL art. 23/24): one institution and one purpose each, what is shared, at most 90 days.

A villager grants, lists and revokes their own consents and sees every report request made under them; staff
see an overview of the consents in their villages (never the reports themselves).
"""

from datetime import date, timedelta

from sqlalchemy import func, select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput, NotFound
from backend.extensions import db
from backend.models import Consent, Institution, ReportAccess, Villager
from backend.models.partners import PURPOSES, SHAREABLE
from backend.services.access import STAFF_ROLES, Caller, bound_villager, require_role, scope
from backend.services.audit import record_audit, snapshot
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.paging import paginate

MAX_CONSENT_DAYS = 90
STATUSES = ("active", "expired", "revoked")


PURPOSE_ERROR = "用途应为 loan_approval（信用贷款审批）、loan_review（贷后管理）或 credit_line（授信额度评估）。"
SHARES_ERROR = "只能共享 level、score_band、reasons、points_band；身份证号、电话、住址和明细记录从不共享。"


class ConsentExists(Conflict):
    status = "consent_exists"
    message = "你已同意该机构为此用途查询信用报告（有效期至 %(expires_on)s）；如需更改请先撤回。"


def consent_status(consent: Consent, today: date | None = None) -> str:
    """active, expired (past its last day) or revoked."""
    if consent.revoked_at is not None:
        return "revoked"
    return "expired" if consent.expires_on < (today or clock.today()) else "active"


def grant_consent(
    *,
    caller: Caller,
    institution_id: int,
    purpose: str,
    shares: list[str],
    expires_on: date,
    claim: Claim | None = None,
) -> Consent:
    """Record the signed-in villager's consent; one live consent per institution and purpose."""
    today = clock.today()
    errors = {}
    if purpose not in PURPOSES:
        errors["purpose"] = [PURPOSE_ERROR]
    if not shares or not set(shares) <= set(SHAREABLE):
        errors["shares"] = [SHARES_ERROR]
    if not today < expires_on <= today + timedelta(days=MAX_CONSENT_DAYS):
        errors["expires_on"] = ["有效期最早到明天，最长 90 天。"]
    if errors:
        raise InvalidInput(errors=errors)
    with claimed_transaction(claim) as session:
        villager = bound_villager(session, caller, lock=True)  # two grants at once must not both pass the check
        institution = session.get(Institution, institution_id)
        if institution is None or not institution.is_active:
            raise InvalidInput(errors={"institution_id": ["机构不存在或已停用。"]})
        live = session.execute(
            select(Consent).where(
                Consent.villager_id == villager.id,
                Consent.institution_id == institution.id,
                Consent.purpose == purpose,
                Consent.revoked_at.is_(None),
                Consent.expires_on >= today,
            )
        ).scalar_one_or_none()
        if live is not None:
            raise ConsentExists(expires_on=live.expires_on.isoformat())
        consent = Consent(
            village_id=villager.village_id,
            villager_id=villager.id,
            institution_id=institution.id,
            purpose=purpose,
            shares=[item for item in SHAREABLE if item in shares],
            expires_on=expires_on,
            granted_by_id=caller.user_id,
        )
        session.add(consent)
        session.flush()
        record_audit(session, actor=caller, action="consent.grant", entity=consent, after=snapshot(consent))
        return consent


def revoke_consent(*, caller: Caller, consent_id: int) -> Consent:
    """Withdraw one of my consents at once; withdrawing it again changes nothing."""
    with write_transaction() as session:
        villager = bound_villager(session, caller)
        consent = session.execute(
            select(Consent).where(Consent.id == consent_id, Consent.villager_id == villager.id).with_for_update()
        ).scalar_one_or_none()
        if consent is None:
            raise NotFound()
        if consent.revoked_at is None:
            before = snapshot(consent)
            consent.revoked_at = clock.now()
            record_audit(
                session, actor=caller, action="consent.revoke", entity=consent, before=before, after=snapshot(consent)
            )
        return consent


def list_my_consents(*, caller: Caller, limit: int, cursor: str | None) -> dict:
    """My consents, newest first, each with its institution and status."""
    villager = bound_villager(db.session, caller)
    return paginate(select(Consent).where(Consent.villager_id == villager.id), Consent.id, limit=limit, cursor=cursor)


def get_my_consent(*, caller: Caller, consent_id: int) -> Consent:
    villager = bound_villager(db.session, caller)
    consent = db.session.execute(
        select(Consent).where(Consent.id == consent_id, Consent.villager_id == villager.id)
    ).scalar_one_or_none()
    if consent is None:
        raise NotFound()
    return consent


def list_consent_accesses(*, caller: Caller, consent_id: int, limit: int, cursor: str | None) -> dict:
    """Every report request under one of my consents: who, when, what was shared, or why it was refused."""
    consent = get_my_consent(caller=caller, consent_id=consent_id)
    stmt = select(ReportAccess).where(ReportAccess.consent_id == consent.id)
    return paginate(stmt, ReportAccess.id, limit=limit, cursor=cursor)


def list_consents_overview(
    *, caller: Caller, village_id: int | None, status: str | None, limit: int, cursor: str | None
) -> dict:
    """Consents in the caller's villages for staff (who granted which institution what, and how often it was read)."""
    require_role(caller, *STAFF_ROLES, "city_admin")
    stmt = scope(select(Consent), Consent, caller)
    if village_id is not None:
        stmt = stmt.where(Consent.village_id == village_id)
    today = clock.today()
    if status == "revoked":
        stmt = stmt.where(Consent.revoked_at.is_not(None))
    elif status == "expired":
        stmt = stmt.where(Consent.revoked_at.is_(None), Consent.expires_on < today)
    elif status == "active":
        stmt = stmt.where(Consent.revoked_at.is_(None), Consent.expires_on >= today)
    page = paginate(stmt, Consent.id, limit=limit, cursor=cursor)
    ids = [consent.id for consent in page["items"]]
    reads = dict(
        db.session.execute(
            select(ReportAccess.consent_id, func.count())
            .where(ReportAccess.consent_id.in_(ids), ReportAccess.outcome == "granted")
            .group_by(ReportAccess.consent_id)
        ).all()
    )
    names = dict(
        db.session.execute(
            select(Villager.id, Villager.name).where(Villager.id.in_([c.villager_id for c in page["items"]]))
        ).all()
    )
    page["items"] = [
        {"consent": consent, "villager_name": names.get(consent.villager_id), "reads": reads.get(consent.id, 0)}
        for consent in page["items"]
    ]
    return page
