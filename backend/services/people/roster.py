"""Importing and exporting a village roster sheet: dry run, all-or-nothing, idempotent."""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from backend.adapters.roster_sheet import RosterParse, write_roster_xlsx
from backend.database import write_transaction
from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import Household, Village, Villager
from backend.services.access import STAFF_ROLES, Caller, require_role
from backend.services.audit import record_audit, record_personal_read, snapshot
from backend.services.people.personal_data import get_keyring
from backend.services.people.records import apply_identity


@dataclass
class ImportReport:
    dry_run: bool
    total_rows: int
    valid_rows: int
    errors: list[dict]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    households_created: int = 0
    warnings: list[str] = field(default_factory=list)


def _row_errors(parsed: RosterParse) -> list[dict]:
    return [
        {"row": e.row_number, "column": e.column, "reason": e.reason, "value": e.value}
        for e in sorted(parsed.errors, key=lambda e: (e.row_number, e.column or ""))
    ]


def _wanted_fields(row, household_id: int) -> dict:
    return {
        "name": row.name,
        "sex": row.sex,
        "relation": row.relation,
        "is_head": row.is_head,
        "group_name": row.group,
        "household_id": household_id,
    }


def import_roster(
    *,
    caller: Caller,
    village: Village,
    parsed: RosterParse,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check every row; unless it is a dry run and only if every row is good, create or update the roster."""
    require_role(caller, *STAFF_ROLES)
    errors = _row_errors(parsed)
    report = ImportReport(
        dry_run=dry_run,
        total_rows=len(parsed.rows) + len({e["row"] for e in errors}),
        valid_rows=len(parsed.rows),
        errors=errors,
    )
    if errors and not dry_run:
        raise InvalidInput(
            "花名册有 %(count)s 行有误，未导入任何数据；请改正后重新上传。",
            count=len({e["row"] for e in errors}),
            errors={"rows": [f"第 {e['row']} 行 {e['column'] or ''}：{e['reason']}" for e in errors]},
        )
    keyring = get_keyring()
    with write_transaction() as session:
        households = {
            h.code: h for h in session.execute(select(Household).where(Household.village_id == village.id)).scalars()
        }
        existing = {
            v.id_number_index: v
            for v in session.execute(select(Villager).where(Villager.village_id == village.id)).scalars()
        }
        for done, row in enumerate(parsed.rows, start=1):
            household = households.get(row.household_code)
            if household is None:
                household = Household(village_id=village.id, code=row.household_code)
                session.add(household)
                session.flush()
                households[row.household_code] = household
                report.households_created += 1
            wanted = _wanted_fields(row, household.id)
            villager = existing.get(keyring.blind_index(row.id_number, kind="id_number"))
            if villager is None:
                villager = Villager(village_id=village.id, **wanted)
                apply_identity(villager, id_number=row.id_number, phone=row.phone)
                session.add(villager)
                report.created += 1
            else:
                phone_index = keyring.blind_index(row.phone, kind="phone") if row.phone else None
                changed = {k: v for k, v in wanted.items() if getattr(villager, k) != v}
                if changed or phone_index != villager.phone_index:
                    before = snapshot(villager)
                    for key, value in changed.items():
                        setattr(villager, key, value)
                    if phone_index != villager.phone_index:
                        if row.phone:
                            apply_identity(villager, phone=row.phone)
                        else:
                            villager.phone_cipher = villager.phone_index = villager.phone_masked = None
                    record_audit(
                        session,
                        actor=caller,
                        action="villager.update",
                        entity=villager,
                        before=before,
                        after=snapshot(villager),
                    )
                    report.updated += 1
                else:
                    report.unchanged += 1
            if progress:
                progress(done)
        if dry_run:
            session.rollback()
            return report
        session.flush()
        record_audit(
            session,
            actor=caller,
            action="roster.import",
            entity=village,
            village_id=village.id,
            after={
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "households_created": report.households_created,
            },
        )
        return report


EXPORT_COLUMNS = [
    ("serial", "序号"),
    ("household", "户号"),
    ("relation", "与户主关系"),
    ("name", "姓名"),
    ("sex", "性别"),
    ("id_number", "身份证号"),
    ("phone", "手机号"),
    ("group", "村民小组"),
]


def export_roster(*, caller: Caller, village: Village) -> bytes:
    """The village roster as .xlsx, with ID and phone numbers masked; the export is audited (a read of everyone)."""
    require_role(caller, *STAFF_ROLES)
    record_personal_read(actor=caller, action="roster.export", villager_id=None, village_id=village.id)
    stmt = (
        select(Villager, Household.code)
        .outerjoin(Household, Villager.household_id == Household.id)
        .where(Villager.village_id == village.id, Villager.status == "active")
        .order_by(Household.code, Villager.is_head.desc(), Villager.id)
    )
    rows = [
        {
            "serial": n,
            "household": code or "",
            "relation": v.relation or "",
            "name": v.name,
            "sex": v.sex,
            "id_number": v.id_number_masked,
            "phone": v.phone_masked or "",
            "group": v.group_name or "",
        }
        for n, (v, code) in enumerate(db.session.execute(stmt).all(), start=1)
    ]
    return write_roster_xlsx(rows, EXPORT_COLUMNS)
