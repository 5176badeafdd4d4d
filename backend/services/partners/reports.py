"""Credit reports for institutions: only under a live consent the institution holds, minimal, signed, and recorded.

Every request leaves a `ReportAccess` (granted or refused, with the reason) and refusals an audit entry too, so
that the villager and the regulator see every attempt. The report names its rule version and as-of date and is a
compact JWS signed with the server's Ed25519 key; a bank verifies it offline with /.well-known/jwks.json.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.errors import Forbidden, NotFound
from backend.extensions import db
from backend.models import Consent, Institution, ReportAccess, RuleSet, Village, Villager
from backend.models.partners import PURPOSES
from backend.services.access import Caller, require_role, village_ids_in_scope
from backend.services.audit import record_audit
from backend.services.credit import evaluate_villager
from backend.services.ledger import villager_balance
from backend.services.paging import paginate
from backend.services.partners.consents import consent_status
from backend.services.signing import sign_report

REPORT_TYPE = "village-credit-report+jws"
SCORE_BAND = 50  # a score is shared as the band it falls in, never as the number
POINTS_BAND = 100


class ConsentNotFound(NotFound):
    status, message = "no_consent", "没有该授权，或授权不属于本机构。"


class ConsentRevoked(Forbidden):
    status, message = "consent_revoked", "村民已撤回该授权。"


class ConsentExpired(Forbidden):
    status, message = "consent_expired", "该授权已过期。"


class ScopeNotGranted(Forbidden):
    status, message = "scope_not_granted", "访问令牌没有查询信用报告的权限（credit_report）。"


class ConsentsScopeNotGranted(Forbidden):
    status, message = "scope_not_granted", "访问令牌没有查看授权列表的权限（consents）。"


@dataclass(frozen=True)
class SignedReport:
    report: dict
    jws: str


def fetch_credit_report(*, institution_id: int, scopes: frozenset[str], consent_id: int) -> SignedReport:
    """The minimal signed report under `consent_id`, or a refusal that is recorded before it is raised."""
    session = db.session
    consent = session.get(Consent, consent_id)
    refusal = _refusal(consent, institution_id, scopes)
    if refusal is not None:
        _record_refusal(institution_id=institution_id, consent=consent, consent_id=consent_id, refusal=refusal)
        raise refusal
    villager = session.get(Villager, consent.villager_id)
    as_of = clock.today()
    report = _build(session, consent, villager, as_of)
    jws = sign_report(_canonical(report), typ=REPORT_TYPE)
    with write_transaction() as session:
        access = ReportAccess(
            village_id=consent.village_id,
            consent_id=consent.id,
            institution_id=institution_id,
            outcome="granted",
            shared=list(consent.shares),
            report_id=report["report_id"],
            rule_version=report["rule_set"]["version"],
            as_of=as_of,
        )
        session.add(access)
        session.flush()
        record_audit(
            session,
            actor=None,
            action="credit_report.read",
            entity=access,
            after={"institution_id": institution_id, "consent_id": consent.id, "shared": access.shared},
        )
    return SignedReport(report=report, jws=jws)


def _refusal(consent: Consent | None, institution_id: int, scopes: frozenset[str]):
    # Another institution's consent is answered exactly like a missing one: its existence is not theirs to learn.
    if consent is None or consent.institution_id != institution_id:
        return ConsentNotFound()
    if "credit_report" not in scopes:
        return ScopeNotGranted()
    status = consent_status(consent)
    if status == "revoked":
        return ConsentRevoked()
    if status == "expired":
        return ConsentExpired()
    return None


def _record_refusal(*, institution_id: int, consent: Consent | None, consent_id: int, refusal) -> None:
    reason = "not_your_consent" if consent is not None and isinstance(refusal, ConsentNotFound) else refusal.status
    with write_transaction() as session:
        access = ReportAccess(
            village_id=consent.village_id if consent is not None else None,
            consent_id=consent.id if consent is not None else None,
            institution_id=institution_id,
            outcome="refused",
            refusal=reason,
            shared=[],
        )
        session.add(access)
        session.flush()
        record_audit(
            session,
            actor=None,
            action="credit_report.refused",
            entity=access,
            after={"institution_id": institution_id, "consent_id": consent_id, "refusal": reason},
            village_id=access.village_id,
        )


def _build(session, consent: Consent, villager: Villager, as_of) -> dict:
    result = evaluate_villager(session, villager, as_of=as_of)
    village = session.get(Village, villager.village_id)
    institution = session.get(Institution, consent.institution_id)
    rule_set_name = session.execute(
        select(RuleSet.document["name"].as_string()).where(
            RuleSet.village_id == villager.village_id, RuleSet.kind == "credit", RuleSet.version == result.version
        )
    ).scalar_one_or_none()
    report = {
        "report_id": str(uuid.uuid4()),
        "issued_at": clock.to_local(clock.now()).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "consent": {
            "id": consent.id,
            "purpose": consent.purpose,
            "purpose_label": PURPOSES[consent.purpose],
            "expires_on": consent.expires_on.isoformat(),
        },
        "institution": {"client_id": institution.client_id, "name": institution.name},
        # Enough for the bank to match its applicant, who brought the consent; never an ID number or a phone.
        "subject": {"name": _masked_name(villager.name), "village": village.name, "village_code": village.code},
        "rule_set": {"kind": "credit", "version": result.version, "name": rule_set_name},
    }
    if "level" in consent.shares:
        report["level"] = {"code": result.level, "label": result.level_label}
    if "score_band" in consent.shares:
        low = result.score // SCORE_BAND * SCORE_BAND
        report["score_band"] = {"min": low, "max": low + SCORE_BAND - 1}
    if "reasons" in consent.shares:
        report["reasons"] = [{"code": r.code, "kind": r.kind, "sentence": r.sentence} for r in result.reasons]
    if "points_band" in consent.shares:
        low = villager_balance(session, villager.id) // POINTS_BAND * POINTS_BAND
        report["points_band"] = {"min": low, "max": low + POINTS_BAND - 1}
    return report


def _masked_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1)


def _canonical(report: dict) -> bytes:
    return json.dumps(report, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def list_held_consents(*, institution_id: int, scopes: frozenset[str], limit: int, cursor: str | None) -> dict:
    """The live consents granted to this institution (scope `consents`), for the bank to know what it may read."""
    if "consents" not in scopes:
        raise ConsentsScopeNotGranted()
    stmt = select(Consent).where(
        Consent.institution_id == institution_id, Consent.revoked_at.is_(None), Consent.expires_on >= clock.today()
    )
    page = paginate(stmt, Consent.id, limit=limit, cursor=cursor)
    names = dict(
        db.session.execute(
            select(Villager.id, Villager.name).where(Villager.id.in_([c.villager_id for c in page["items"]]))
        ).all()
    )
    page["items"] = [{"consent": c, "subject_name": _masked_name(names[c.villager_id])} for c in page["items"]]
    return page


def _accesses_stmt(caller: Caller, *, since, until, institution_id: int | None):
    require_role(caller, "admin", "city_admin")
    stmt = select(ReportAccess)
    if caller.role == "city_admin":
        # Refusals for consents that never existed belong to no village; only the platform admin sees those.
        stmt = stmt.where(ReportAccess.village_id.in_(village_ids_in_scope(caller)))
    if since is not None:
        stmt = stmt.where(ReportAccess.created_at >= clock.utc_start_of(since))
    if until is not None:
        stmt = stmt.where(ReportAccess.created_at < clock.utc_start_of(until + timedelta(days=1)))
    if institution_id is not None:
        stmt = stmt.where(ReportAccess.institution_id == institution_id)
    return stmt


def list_report_accesses(
    *, caller: Caller, since, until, institution_id: int | None, limit: int, cursor: str | None
) -> dict:
    """Every report request (granted and refused) in the caller's scope, newest first."""
    stmt = _accesses_stmt(caller, since=since, until=until, institution_id=institution_id)
    return paginate(stmt, ReportAccess.id, limit=limit, cursor=cursor)


EXPORT_COLUMNS = (
    "access_id",
    "at",
    "institution",
    "client_id",
    "outcome",
    "refusal",
    "consent_id",
    "village_code",
    "villager_id",
    "purpose",
    "consent_granted_at",
    "consent_expires_on",
    "consent_revoked_at",
    "shared",
    "report_id",
    "rule_version",
    "as_of",
)


def export_report_accesses(*, caller: Caller, since, until, institution_id: int | None) -> list[tuple]:
    """The regulator's export: one row per request with the consent it relied on (villager by id, never by name)."""
    stmt = _accesses_stmt(caller, since=since, until=until, institution_id=institution_id).order_by(ReportAccess.id)
    rows = []
    for access in db.session.execute(stmt).scalars():
        consent = db.session.get(Consent, access.consent_id) if access.consent_id else None
        village = db.session.get(Village, access.village_id) if access.village_id else None
        rows.append(
            (
                access.id,
                _local(access.created_at),
                access.institution.name,
                access.institution.client_id,
                access.outcome,
                access.refusal or "",
                access.consent_id or "",
                village.code if village else "",
                consent.villager_id if consent else "",
                consent.purpose if consent else "",
                _local(consent.created_at) if consent else "",
                consent.expires_on.isoformat() if consent else "",
                _local(consent.revoked_at) if consent and consent.revoked_at else "",
                " ".join(access.shared or []),
                access.report_id or "",
                access.rule_version if access.rule_version is not None else "",
                access.as_of.isoformat() if access.as_of else "",
            )
        )
    return rows


def _local(moment) -> str:
    return clock.to_local(moment).isoformat(timespec="seconds")
