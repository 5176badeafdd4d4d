"""The dishonesty list (失信清单): village decisions and court-list imports, each with a term that ends by itself.

An entry is a credit entry of kind "dishonesty" from its start to its end date; what it does (cap the level,
block redemption) comes from the gates of the credit rule set in force, and from the rule it names, if any.
"""

import csv
import io
import zipfile
from datetime import date, datetime
from typing import BinaryIO

from sqlalchemy import select

from backend import clock
from backend.adapters.idcard import mask_id_number, normalize_id_number, validate_id_number
from backend.database import write_transaction
from backend.errors import InvalidInput
from backend.models import CreditEntry, Village, Villager
from backend.services.access import STAFF_ROLES, Caller, require_role, scope
from backend.services.credit.entries import add_credit_entry, check_evidence
from backend.services.credit.scores import version_on
from backend.services.paging import paginate
from backend.services.people import id_number_index

VILLAGE_SOURCE = "村委会决定"
COURT_SOURCE = "法院失信被执行人名单"
MAX_ROWS = 5000
_ID_HEADERS = ("身份证号码", "身份证号", "证件号码", "证件号")
_REASON_HEADERS = ("失信原因", "案由", "案号", "原因")
_START_HEADERS = ("列入日期", "发布日期", "开始日期")
_END_HEADERS = ("截止日期", "结束日期", "移出日期")


def list_status(entry: CreditEntry, today: date) -> str:
    """upcoming, active or ended: the term decides, nobody has to remember to take an entry off the list."""
    if entry.status == "revoked":
        return "revoked"
    if today < entry.occurred_on:
        return "upcoming"
    if entry.ends_on is not None and today > entry.ends_on:
        return "ended"
    return "active"


def _check_term(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidInput(errors={"ends_on": ["截止日期不能早于列入日期"]})


def _list_rule(session, village_id: int, day: date, rule_code: str | None, list_kind: str):
    """The rule an entry names (checked against the version in force on its start), and that version."""
    version = version_on(session, village_id, day)
    if rule_code is None and list_kind == "court":
        # A court listing takes the rule the rule set ties to the court list (R12 in the demo set), if any.
        rule_code = next((g.get("rule_code") for g in version.gates if g["when"].get("list") == "court"), None)
    if rule_code is not None:
        rule = version.rules_by_code.get(rule_code)
        if rule is None or not rule.moves_credit:
            raise InvalidInput(errors={"rule_code": [f"第 {version.version} 版信用规则中没有规则 {rule_code}"]})
    return version, rule_code


def add_dishonesty_entry(
    *,
    caller: Caller,
    villager: Villager,
    reason: str,
    starts_on: date,
    ends_on: date,
    rule_code: str | None,
    evidence_text: str | None,
    file_ids: list[int],
) -> CreditEntry:
    """Put a villager on the village dishonesty list by committee decision, for a term."""
    require_role(caller, *STAFF_ROLES)
    _check_term(starts_on, ends_on)
    with write_transaction() as session:
        version, rule_code = _list_rule(session, villager.village_id, starts_on, rule_code, "village")
        return add_credit_entry(
            session,
            caller=caller,
            audit_action="credit.dishonesty.add",
            village_id=villager.village_id,
            villager_id=villager.id,
            kind="dishonesty",
            origin="village_list",
            list_kind="village",
            source=VILLAGE_SOURCE,
            rule_code=rule_code,
            rule_version=version.version,
            occurred_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            evidence_text=evidence_text,
            evidence_file_ids=check_evidence(session, village_id=villager.village_id, file_ids=file_ids),
        )


def list_dishonesty_entries(
    *, caller: Caller, village_id: int, status: str | None, limit: int, cursor: str | None
) -> dict:
    """The village's list, newest first, each with its status today (upcoming, active, ended, revoked)."""
    require_role(caller, *STAFF_ROLES)
    today = clock.today()
    stmt = scope(
        select(CreditEntry).where(CreditEntry.village_id == village_id, CreditEntry.kind == "dishonesty"),
        CreditEntry,
        caller,
    )
    if status == "active":
        stmt = stmt.where(
            CreditEntry.status != "revoked", CreditEntry.occurred_on <= today, CreditEntry.ends_on >= today
        )
    elif status == "ended":
        stmt = stmt.where(CreditEntry.status != "revoked", CreditEntry.ends_on < today)
    elif status == "upcoming":
        stmt = stmt.where(CreditEntry.status != "revoked", CreditEntry.occurred_on > today)
    page = paginate(stmt, CreditEntry.id, limit=limit, cursor=cursor)
    page["items"] = [_listed(entry, today) for entry in page["items"]]
    return page


def _listed(entry: CreditEntry, today: date) -> dict:
    return {
        "id": entry.id,
        "village_id": entry.village_id,
        "villager_id": entry.villager_id,
        "villager_name": entry.villager.name,
        "list_kind": entry.list_kind,
        "source": entry.source,
        "reason": entry.reason,
        "rule_code": entry.rule_code,
        "starts_on": entry.occurred_on,
        "ends_on": entry.ends_on,
        "evidence_text": entry.evidence_text,
        "evidence_file_ids": entry.evidence_file_ids or [],
        "status": list_status(entry, today),
    }


def import_court_list(
    *, caller: Caller, village: Village, fileobj: BinaryIO, filename: str, ends_on: date, source: str | None
) -> dict:
    """Match a court list (.xlsx/.csv of ID numbers) to the roster by blind index; add each listed villager.

    Rows whose ID number is invalid or not on this village's roster are reported (masked), never stored.
    Importing the same list again adds nothing twice (same villager, list and start date).
    """
    require_role(caller, *STAFF_ROLES)
    today = clock.today()
    rows, problems = _parse_court_list(fileobj, filename, default_start=today, default_end=ends_on)
    report = {"total_rows": len(rows) + len(problems), "added": 0, "already_listed": 0, "unmatched": []}
    with write_transaction() as session:
        indexes = {row["index"] for row in rows}
        roster = dict(
            session.execute(
                select(Villager.id_number_index, Villager.id).where(
                    Villager.village_id == village.id, Villager.id_number_index.in_(indexes)
                )
            ).all()
        )
        existing = set(
            session.execute(
                select(CreditEntry.villager_id, CreditEntry.occurred_on).where(
                    CreditEntry.village_id == village.id, CreditEntry.list_kind == "court"
                )
            ).all()
        )
        for row in rows:
            villager_id = roster.get(row["index"])
            if villager_id is None:
                problems.append({"row": row["row"], "id_number": row["masked"], "reason": "本村花名册中没有此身份证号"})
                continue
            if (villager_id, row["starts_on"]) in existing:
                report["already_listed"] += 1
                continue
            existing.add((villager_id, row["starts_on"]))
            version, rule_code = _list_rule(session, village.id, row["starts_on"], None, "court")
            add_credit_entry(
                session,
                caller=caller,
                audit_action="credit.dishonesty.import",
                village_id=village.id,
                villager_id=villager_id,
                kind="dishonesty",
                origin="court_list",
                list_kind="court",
                source=(source or COURT_SOURCE)[:64],
                rule_code=rule_code,
                rule_version=version.version,
                occurred_on=row["starts_on"],
                ends_on=row["ends_on"],
                reason=row["reason"] or COURT_SOURCE,
                evidence_text=f"导入文件 {filename} 第 {row['row']} 行",
                evidence_file_ids=[],
            )
            report["added"] += 1
    report["unmatched"] = sorted(problems, key=lambda p: p["row"])
    return report


def _parse_court_list(fileobj: BinaryIO, filename: str, *, default_start: date, default_end: date):
    table = _read_table(fileobj.read(), filename)
    header_at = next((n for n, row in enumerate(table[:10]) if _column(row, _ID_HEADERS) is not None), None)
    if header_at is None:
        raise InvalidInput(errors={"file": [f"找不到身份证号码列（表头应含：{'、'.join(_ID_HEADERS)}）"]})
    header = table[header_at]
    columns = {
        "id": _column(header, _ID_HEADERS),
        "reason": _column(header, _REASON_HEADERS),
        "start": _column(header, _START_HEADERS),
        "end": _column(header, _END_HEADERS),
    }
    body = [(n + 1, row) for n, row in enumerate(table) if n > header_at and any(_text(c) for c in row)]
    if len(body) > MAX_ROWS:
        raise InvalidInput(errors={"file": [f"一次最多导入 {MAX_ROWS} 行"]})
    rows, problems = [], []
    for number, row in body:
        id_number = normalize_id_number(_cell(row, columns["id"]))
        invalid = validate_id_number(id_number)
        if invalid:
            problems.append({"row": number, "id_number": mask_id_number(id_number), "reason": invalid})
            continue
        try:
            starts_on = _date(_cell(row, columns["start"])) or default_start
            ends_on = _date(_cell(row, columns["end"])) or default_end
        except ValueError:
            problems.append(
                {"row": number, "id_number": mask_id_number(id_number), "reason": "日期无效，应如 2026-03-01"}
            )
            continue
        if ends_on < starts_on:
            problems.append({"row": number, "id_number": mask_id_number(id_number), "reason": "截止日期早于列入日期"})
            continue
        rows.append(
            {
                "row": number,
                "index": id_number_index(id_number),
                "masked": mask_id_number(id_number),
                "reason": _text(_cell(row, columns["reason"]))[:200] or None,
                "starts_on": starts_on,
                "ends_on": ends_on,
            }
        )
    return rows, problems


def _read_table(data: bytes, filename: str) -> list[tuple]:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""))]
    if suffix == "xlsx":
        # openpyxl costs every worker about 16 MB of memory; it is loaded only when a spreadsheet is read or written.
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise InvalidInput(errors={"file": ["无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏"]}) from None
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()
            return [tuple(row) for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    raise InvalidInput(errors={"file": ["只支持 .xlsx 或 .csv 文件"]})


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _column(row: tuple, names: tuple[str, ...]) -> int | None:
    cleaned = ["".join(_text(cell).split()) for cell in row]
    return next((n for n, cell in enumerate(cleaned) if cell in names), None)


def _cell(row: tuple, index: int | None):
    return row[index] if index is not None and index < len(row) else None


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    return date.fromisoformat(text) if text else None


def listed_entry(entry: CreditEntry) -> dict:
    """One list entry as the list shows it, with its status today."""
    return _listed(entry, clock.today())
