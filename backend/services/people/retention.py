"""Retention (PIPL art. 19, 47): what `flask data purge` removes once it is no longer needed.

- A villager who moved out or died RETENTION_MOVED_OUT_YEARS ago (by their record's last change) is anonymised:
  name, birth date, numbers, household link and WeChat binding go; so do the texts and files of their claims and
  the free text of their credit applications. The row stays (as "已注销") because ledger entries, consents and
  accesses refer to it: their amounts, dates and hashes keep proving the books.
- Photos and voice files of claims rejected RETENTION_REJECTED_MONTHS ago are deleted (the claim row stays).

The ledger is not rewritten: its entries are append-only and hash-chained. The audit log is kept at least
AUDIT_RETENTION_DAYS (180 at the least, 等保) and is not purged here.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update

from backend import clock
from backend.adapters.storage import get_storage
from backend.database import write_transaction
from backend.models import (
    CreditEntry,
    CreditObjection,
    CreditRepair,
    HonourApplication,
    InboundEvent,
    MediaCheck,
    Submission,
    Upload,
    User,
    Villager,
)
from backend.services.audit import Subject, record_audit
from backend.settings import current_settings

GONE_STATUSES = ("moved_out", "deceased")
ANONYMOUS = "已注销"


@dataclass
class PurgeReport:
    villagers: int = 0
    files: int = 0
    rejected_claims: int = 0
    keys: list[str] = field(default_factory=list, repr=False)


def purge_expired_data(*, dry_run: bool = False) -> PurgeReport:
    """Anonymise villagers past retention and delete rejected claims' files past retention; audited."""
    settings = current_settings()
    now = clock.now()
    left_before = now - timedelta(days=365 * settings.retention_moved_out_years)
    rejected_before = now - timedelta(days=30 * settings.retention_rejected_months)
    report = PurgeReport()
    with write_transaction() as session:
        villagers = (
            session.execute(
                select(Villager)
                .where(Villager.status.in_(GONE_STATUSES), Villager.updated_at < left_before)
                .order_by(Villager.id)
                .with_for_update()
            )
            .scalars()
            .all()
        )
        for villager in villagers:
            _anonymise(session, villager, report)
        rejected = (
            session.execute(
                select(Submission.id).where(Submission.status == "rejected", Submission.decided_at < rejected_before)
            )
            .scalars()
            .all()
        )
        report.rejected_claims = _drop_files(session, list(rejected), report)
        report.villagers = len(villagers)
        if dry_run:
            session.rollback()
            return report
        record_audit(
            session,
            actor=None,
            action="data.purge",
            entity=Subject("villagers"),
            after={"villagers": report.villagers, "files": report.files, "rejected_claims": report.rejected_claims},
        )
    storage = get_storage()
    for key in report.keys:  # after the commit: a rollback must not leave rows pointing at deleted files
        storage.delete(key)
    return report


def _anonymise(session, villager: Villager, report: PurgeReport) -> None:
    villager.name, villager.birth_date, villager.relation, villager.group_name = ANONYMOUS, None, None, None
    villager.household_id, villager.is_head = None, False
    villager.id_number_cipher, villager.id_number_masked = b"", "已删除"
    villager.id_number_index = f"purged:{villager.id}"  # unique within the village, matches no real number
    villager.phone_cipher = villager.phone_index = villager.phone_masked = None
    villager.status = "purged"
    session.execute(
        update(User)
        .where(User.villager_id == villager.id)
        .values(villager_id=None, openid=None, unionid=None, display_name=None, is_active=False)
    )
    claims = session.execute(select(Submission.id).where(Submission.villager_id == villager.id)).scalars().all()
    session.execute(
        update(Submission)
        .where(Submission.villager_id == villager.id)
        .values(text=None, appeal_reason=None, hold_reason=None, review_note=None, rejection_reason=None)
    )
    _drop_files(session, list(claims), report)
    session.execute(update(InboundEvent).where(InboundEvent.villager_id == villager.id).values(data={}))
    session.execute(
        update(CreditEntry)
        .where(CreditEntry.villager_id == villager.id)
        .values(evidence_text=None, note=None, reason=None)
    )
    for model, texts in (
        (HonourApplication, {"description": "", "evidence_text": None, "decision_note": None}),
        (CreditRepair, {"statement": "", "evidence_text": None, "decision_note": None}),
        (CreditObjection, {"reason": "", "decision_note": None}),
    ):
        session.execute(update(model).where(model.villager_id == villager.id).values(**texts))


def _drop_files(session, submission_ids: list[int], report: PurgeReport) -> int:
    """Delete the uploads of these claims (rows now, stored files after the commit); how many claims had any."""
    if not submission_ids:
        return 0
    uploads = session.execute(
        select(Upload.id, Upload.submission_id, Upload.storage_key, Upload.thumbnail_key).where(
            Upload.submission_id.in_(submission_ids)
        )
    ).all()
    if not uploads:
        return 0
    ids = [u.id for u in uploads]
    session.execute(delete(MediaCheck).where(MediaCheck.upload_id.in_(ids)))
    session.execute(delete(Upload).where(Upload.id.in_(ids)))
    report.files += len(uploads)
    report.keys.extend(key for u in uploads for key in (u.storage_key, u.thumbnail_key) if key)
    return len({u.submission_id for u in uploads})
