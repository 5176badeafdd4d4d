"""Read a village office's roster (.xlsx or .csv) into normalised rows and per-row reasons; write one back.

Real rosters carry a merged title above the header, synonyms for headers, a totals row, stray spaces,
full-width digits and numbers that Excel has already damaged. Parsing never raises on bad content:
every problem becomes a RowError that a committee member can act on.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import BinaryIO

from backend.adapters.idcard import (
    FEMALE,
    MALE,
    id_number_sex,
    looks_like_excel_scientific,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
)

HEADER_SCAN_ROWS = 10
MAX_DATA_ROWS = 20000
HEAD_RELATIONS = frozenset({"户主", "本人"})

# canonical field -> (header shown in messages, accepted header texts)
COLUMNS: dict[str, tuple[str, frozenset[str]]] = {
    "serial": ("序号", frozenset({"序号", "编号"})),
    "household_code": ("户号", frozenset({"户号", "户编号"})),
    "relation": ("与户主关系", frozenset({"与户主关系", "户主", "关系", "与户主的关系"})),
    "name": ("姓名", frozenset({"姓名"})),
    "sex": ("性别", frozenset({"性别"})),
    "id_number": ("身份证号", frozenset({"身份证号", "身份证号码", "身份证", "公民身份号码"})),
    "phone": ("手机号", frozenset({"手机号", "手机", "手机号码", "联系电话", "电话"})),
    "group": ("村民小组", frozenset({"村民小组", "组别", "小组", "所在小组"})),
}
REQUIRED = ("household_code", "relation", "name", "id_number")
_TOTALS = ("合计", "总计", "共计", "小计")
_SEX_WORDS = {
    **dict.fromkeys(("男", "男性", "M", "MALE"), MALE),
    **dict.fromkeys(("女", "女性", "F", "FEMALE"), FEMALE),
}
_HAN_NAME = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f·•\s]+")
SCIENTIFIC_REASON = "Excel 只保留 15 位有效数字，身份证号后几位已丢失，请将该列设为文本后重新录入"


@dataclass(frozen=True, slots=True)
class RosterRow:
    row_number: int
    serial: str | None
    household_code: str
    relation: str
    is_head: bool
    name: str
    sex: str
    id_number: str
    phone: str | None
    group: str | None


@dataclass(frozen=True, slots=True)
class RowError:
    row_number: int | None  # None: the whole sheet (no header, missing columns, unreadable file)
    column: str | None
    reason: str
    value: str | None = None
    serial: str | None = None


@dataclass(slots=True)
class RosterParse:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    header_row: int | None = None

    @property
    def rejected_row_numbers(self) -> list[int]:
        """Spreadsheet row numbers that have at least one error, ascending."""
        return sorted({e.row_number for e in self.errors if e.row_number is not None})


def _header_key(value: object) -> str:
    text = unicodedata.normalize("NFKC", _text(value))
    # Templates mark required columns with * and some add a colon.
    return "".join(text.split()).strip("*:")


def _text(value: object) -> str:
    """Return a cell as trimmed text; integral floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _household_code(raw: object) -> str:
    return unicodedata.normalize("NFKC", _text(raw)).upper()


def _relation(raw: object) -> str:
    return "".join(unicodedata.normalize("NFKC", _text(raw)).split())


def clean_name(raw: object) -> str:
    """Trim a name; Chinese names lose every inner space, others keep single spaces."""
    text = _text(raw).replace("\u3000", " ")
    if _HAN_NAME.fullmatch(text):
        return "".join(text.split())
    return " ".join(text.split())


def parse_sex(raw: object) -> str | None:
    """Map 男/女/M/F/male/female (any case) to 男 or 女; None when the word is unknown."""
    return _SEX_WORDS.get(unicodedata.normalize("NFKC", _text(raw)).upper())


def _find_header(rows: list[tuple]) -> int | None:
    names, ids = COLUMNS["name"][1], COLUMNS["id_number"][1]
    for index, row in enumerate(rows):
        keys = {_header_key(v) for v in row}
        if keys & names and keys & ids:
            return index
    return None


def _map_columns(header: tuple) -> dict[str, int]:
    positions: dict[str, int] = {}
    for position, value in enumerate(header):
        key = _header_key(value)
        for field_name, (_, synonyms) in COLUMNS.items():
            if key in synonyms and field_name not in positions:
                positions[field_name] = position
                break
    return positions


def _is_totals(cells: Iterable[object]) -> bool:
    return any(_text(v).startswith(_TOTALS) for v in cells)


class _RowChecker:
    """Validates one data row at a time, remembering what it has seen for duplicates."""

    def __init__(self) -> None:
        self.seen_ids: dict[str, tuple[int, str | None]] = {}

    def check(self, row_number: int, values: dict[str, object]) -> tuple[RosterRow | None, list[RowError]]:
        get = values.get
        serial = _text(get("serial")) or None
        errors: list[RowError] = []

        def reject(field_name: str, reason: str, value: str | None = None) -> None:
            errors.append(RowError(row_number, COLUMNS[field_name][0], reason, value, serial))

        household = _household_code(get("household_code"))
        if not household:
            reject("household_code", "缺少户号")
        relation = _relation(get("relation"))
        if not relation:
            reject("relation", "缺少与户主关系")
        name = clean_name(get("name"))
        if not name:
            reject("name", "缺少姓名")

        id_number = self._check_id(row_number, serial, get("id_number"), reject)
        sex = self._check_sex(get("sex"), id_number, reject)

        phone = normalize_phone(get("phone")) or None
        if phone is not None and (reason := validate_phone(phone)):
            reject("phone", reason, mask_phone(phone))

        group = _text(get("group")) or None
        if errors or id_number is None or sex is None:
            return None, errors
        row = RosterRow(
            row_number=row_number,
            serial=serial,
            household_code=household,
            relation=relation,
            is_head=relation in HEAD_RELATIONS,
            name=name,
            sex=sex,
            id_number=id_number,
            phone=phone,
            group=group,
        )
        return row, errors

    def _check_id(self, row_number: int, serial: str | None, raw: object, reject) -> str | None:
        if looks_like_excel_scientific(raw):
            shown = f"{int(raw)}" if isinstance(raw, int | float) else normalize_id_number(raw)
            reject("id_number", SCIENTIFIC_REASON, mask_id_number(shown))
            return None
        id_number = normalize_id_number(_text(raw))
        if reason := validate_id_number(id_number):
            reject("id_number", reason, mask_id_number(id_number) or None)
            return None
        if id_number in self.seen_ids:
            earlier_row, earlier_serial = self.seen_ids[id_number]
            where = f"第 {earlier_row} 行" + (f"（序号 {earlier_serial}）" if earlier_serial else "")
            reject("id_number", f"与{where}是同一人（身份证号重复）", mask_id_number(id_number))
            return None
        self.seen_ids[id_number] = (row_number, serial)
        return id_number

    @staticmethod
    def _check_sex(raw: object, id_number: str | None, reject) -> str | None:
        written = _text(raw)
        implied = id_number_sex(id_number) if id_number else None
        if not written:
            # The ID number fixes the sex; an empty cell is not worth rejecting a person for.
            return implied
        sex = parse_sex(written)
        if sex is None:
            reject("sex", f"无法识别的性别“{written}”，请填写“男”或“女”", written)
            return None
        if implied is not None and sex != implied:
            reject("sex", f"性别“{written}”（{sex}）与身份证号显示的性别（{implied}）不符", written)
            return None
        return sex


def _check_households(rows: list[RosterRow], result: RosterParse, rejected_heads: dict[str, int]) -> None:
    """Reject members of households without an accepted head, so no household is imported headless."""
    heads: dict[str, RosterRow] = {}
    for row in rows:
        if row.is_head and row.household_code in heads:
            first = heads[row.household_code].row_number
            result.errors.append(
                RowError(
                    row.row_number,
                    "与户主关系",
                    f"户号 {row.household_code} 已有户主（第 {first} 行）",
                    row.relation,
                    row.serial,
                )
            )
        elif row.is_head:
            heads[row.household_code] = row
    for row in rows:
        if row.household_code in heads:
            if not row.is_head or heads[row.household_code] is row:
                result.rows.append(row)
            continue
        if row.household_code in rejected_heads:
            reason = f"本户户主（第 {rejected_heads[row.household_code]} 行）未通过校验，本户成员暂不导入"
        else:
            reason = f"户号 {row.household_code} 没有户主（应有一行与户主关系为“户主”或“本人”）"
        result.errors.append(RowError(row.row_number, "与户主关系", reason, row.relation, row.serial))


def parse_rows(table: Iterable[Sequence[object]]) -> RosterParse:
    """Parse rows of cell values (first row is spreadsheet row 1) into a RosterParse."""
    result = RosterParse()
    iterator = iter(table)
    top = [tuple(r) for r in islice(iterator, HEADER_SCAN_ROWS)]
    header_index = _find_header(top)
    if header_index is None:
        result.errors.append(RowError(None, None, f"前 {HEADER_SCAN_ROWS} 行中找不到同时含“姓名”和“身份证号”的表头行"))
        return result
    result.header_row = header_index + 1
    positions = _map_columns(top[header_index])
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in positions]
    if missing:
        reason = "表头缺少必需的列：" + "、".join(missing)
        result.errors.append(RowError(result.header_row, "、".join(missing), reason))
        return result

    checker = _RowChecker()
    accepted: list[RosterRow] = []
    rejected_heads: dict[str, int] = {}
    data_rows = 0
    for row_number, cells in enumerate(chain(top[header_index + 1 :], iterator), start=result.header_row + 1):
        values = {f: cells[p] for f, p in positions.items() if p < len(cells)}
        person_cells = (values.get("household_code"), values.get("name"), values.get("id_number"))
        if _is_totals(cells) or all(_text(v) == "" for v in person_cells):
            continue  # blank, totals, or a pre-numbered template row: not a person
        data_rows += 1
        if data_rows > MAX_DATA_ROWS:
            return RosterParse(errors=[RowError(None, None, f"一次最多导入 {MAX_DATA_ROWS} 行，请分批导入")])
        row, errors = checker.check(row_number, values)
        result.errors.extend(errors)
        if row is not None:
            accepted.append(row)
        elif _relation(values.get("relation")) in HEAD_RELATIONS:
            rejected_heads.setdefault(_household_code(values.get("household_code")), row_number)
    _check_households(accepted, result, rejected_heads)
    result.errors.sort(key=lambda e: e.row_number or 0)
    return result


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    # openpyxl costs every worker about 16 MB of memory; it is loaded only when a spreadsheet is read or written.
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = workbook.worksheets
        # Prefer the first sheet with a recognisable header; offices often keep notes on sheet 1.
        for sheet in sheets:
            top = [tuple(r) for r in sheet.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True)]
            if _find_header(top) is not None:
                # Some writers (WPS, old exporters) store a wrong sheet size; read what is really there.
                sheet.reset_dimensions()
                yield from sheet.iter_rows(values_only=True)
                return
        if sheets:
            yield from sheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _decode_csv(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves CSV in the ANSI code page (GBK), a subset of GB18030.
        return data.decode("gb18030", errors="replace")


def parse_roster(fileobj: BinaryIO, filename: str) -> RosterParse:
    """Parse a roster upload (.xlsx or .csv, chosen by filename) into valid rows and reasons for the rest."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    data = fileobj.read()
    if suffix == "csv":
        return parse_rows(csv.reader(io.StringIO(_decode_csv(data), newline="")))
    if suffix == "xlsx":
        from openpyxl.utils.exceptions import InvalidFileException

        rows = _xlsx_rows(data)
        try:
            return parse_rows(rows)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
            return RosterParse(errors=[RowError(None, None, "无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏")])
        finally:
            rows.close()  # releases the workbook even when parsing stopped early
    if suffix == "xls":
        return RosterParse(errors=[RowError(None, None, "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传")])
    return RosterParse(errors=[RowError(None, None, "只支持 .xlsx 或 .csv 文件")])


_TEXT_COLUMNS = {"id_number", "phone"} | set(COLUMNS["id_number"][1]) | set(COLUMNS["phone"][1])


def write_roster_xlsx(rows: Sequence[dict], columns: Sequence[tuple[str, str]]) -> bytes:
    """Write rows as an .xlsx: columns are (dict key, Chinese header); ID and phone columns are text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    bold = Font(bold=True)
    text_positions = set()
    for position, (key, header) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=position, value=header)
        cell.font = bold
        if key in _TEXT_COLUMNS or _header_key(header) in _TEXT_COLUMNS:
            text_positions.add(position)
        width = 22 if position in text_positions else max(8, 2 * len(header) + 4)
        sheet.column_dimensions[cell.column_letter].width = width
    for row_index, row in enumerate(rows, start=2):
        for position, (key, _) in enumerate(columns, start=1):
            value = row.get(key)
            if position in text_positions and value is not None:
                value = str(value)
            cell = sheet.cell(row=row_index, column=position, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a name like "=HYPERLINK(...)" stays text, never a formula
            if position in text_positions:
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
