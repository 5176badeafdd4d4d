import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from backend.adapters import roster_sheet
from backend.adapters.idcard import make_id_number
from backend.adapters.roster_sheet import SCIENTIFIC_REASON, RosterParse, parse_roster, write_roster_xlsx

SAMPLE = Path("/work/shared/samples/roster-东村-messy.xlsx")
HEADER = ["序号", "户号", "与户主关系", "姓名", "性别", "身份证号", "手机号", "村民小组"]
HEAD_ID = make_id_number(birth=date(1970, 5, 1), seq=11)
WIFE_ID = make_id_number(birth=date(1972, 6, 2), seq=22)
SON_ID = make_id_number(birth=date(2000, 7, 3), seq=33)


def person(serial, household, relation, name, sex, id_number, phone="", group="一组"):
    return [serial, household, relation, name, sex, id_number, phone, group]


def family(household="DC001"):
    return [
        person(1, household, "户主", "张三", "男", HEAD_ID, "13812345678"),
        person(2, household, "配偶", "李四", "女", WIFE_ID),
        person(3, household, "子", "张小", "男", SON_ID),
    ]


def xlsx(rows: list[list], title: str | None = "某村花名册") -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> io.BytesIO:
    text = "\r\n".join(",".join("" if v is None else str(v) for v in row) for row in rows) + "\r\n"
    return io.BytesIO(text.encode(encoding))


def reasons_by_serial(result: RosterParse) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in result.errors:
        found.setdefault(error.serial, []).append(error.reason)
    return found


@pytest.fixture(scope="module")
def sample() -> RosterParse:
    with SAMPLE.open("rb") as fileobj:
        return parse_roster(fileobj, SAMPLE.name)


def test_sample_header_is_found_below_the_merged_title(sample):
    assert sample.header_row == 2


def test_sample_has_131_valid_people_and_exactly_the_six_planted_rejections(sample):
    assert len(sample.rows) == 131
    assert sorted(reasons_by_serial(sample), key=int) == ["16", "20", "24", "26", "29", "32"]
    assert len(sample.errors) == 6
    assert all(e.row_number == int(e.serial) + 2 for e in sample.errors)


def test_sample_totals_and_blank_rows_are_not_people(sample):
    assert sample.rows[-1].serial == "137"
    assert all(row.name != "合计" for row in sample.rows)
    assert len({row.household_code for row in sample.rows}) == 40


def test_sample_acceptable_problems_are_normalised(sample):
    by_serial = {row.serial: row for row in sample.rows}
    assert by_serial["8"].name == "高秀兰"
    assert by_serial["10"].id_number == "330282200203283484"
    assert by_serial["14"].phone == "15728427876"
    assert by_serial["41"].id_number == "33028219880802256X"
    assert by_serial["9"].row_number == 11


def test_sample_row_16_wrong_check_digit_is_rejected_with_reason(sample):
    (error,) = [e for e in sample.errors if e.serial == "16"]
    assert (error.column, error.value) == ("身份证号", "330282********9270")
    assert "校验位" in error.reason


def test_sample_row_20_duplicate_names_the_earlier_row(sample):
    (error,) = [e for e in sample.errors if e.serial == "20"]
    assert error.column == "身份证号"
    assert "第 21 行（序号 19）" in error.reason
    assert "重复" in error.reason
    assert any(row.serial == "19" for row in sample.rows)


def test_sample_row_24_sex_m_maps_to_male_and_is_rejected_because_the_id_says_female(sample):
    (error,) = [e for e in sample.errors if e.serial == "24"]
    assert (error.column, error.value) == ("性别", "M")
    assert "不符" in error.reason


def test_sample_row_26_missing_id_number_is_rejected(sample):
    (error,) = [e for e in sample.errors if e.serial == "26"]
    assert (error.column, error.reason) == ("身份证号", "缺少身份证号")


def test_sample_row_29_scientific_notation_is_rejected_and_explained(sample):
    (error,) = [e for e in sample.errors if e.serial == "29"]
    assert error.reason == SCIENTIFIC_REASON
    assert error.value.startswith("330282********")


def test_sample_row_32_household_without_head_is_rejected(sample):
    (error,) = [e for e in sample.errors if e.serial == "32"]
    assert error.column == "与户主关系"
    assert "DC999" in error.reason
    assert "没有户主" in error.reason


def test_error_values_never_show_a_full_id_number(sample):
    for error in sample.errors:
        assert error.value is None or len(error.value.replace("*", "")) <= 10


def test_valid_family_is_parsed_into_normalised_rows():
    result = parse_roster(xlsx([HEADER, *family()]), "村.xlsx")
    assert result.errors == []
    head, wife, son = result.rows
    assert (head.row_number, head.serial, head.is_head, head.sex) == (3, "1", True, "男")
    assert (wife.is_head, wife.sex, wife.phone, wife.group) == (False, "女", None, "一组")
    assert son.id_number == SON_ID


def test_roster_row_with_wrong_check_digit_is_rejected_with_reason():
    rows = family()
    rows[2][5] = SON_ID[:-1] + ("0" if SON_ID[-1] != "0" else "1")
    result = parse_roster(xlsx([HEADER, *rows]), "村.xlsx")
    assert [e.row_number for e in result.errors] == [5]
    assert "校验位" in result.errors[0].reason
    assert len(result.rows) == 2


@pytest.mark.parametrize("written", ["F", "female", "FEMALE", "女性", "女"])
def test_sex_words_map_to_female(written):
    rows = family()
    rows[1][4] = written
    result = parse_roster(xlsx([HEADER, *rows]), "村.xlsx")
    assert result.errors == []
    assert result.rows[1].sex == "女"


def test_unknown_sex_word_is_rejected_and_empty_sex_comes_from_the_id():
    rows = family()
    rows[1][4] = "未知"
    rows[2][4] = None
    result = parse_roster(xlsx([HEADER, *rows]), "村.xlsx")
    assert [(e.row_number, e.column) for e in result.errors] == [(4, "性别")]
    assert "无法识别" in result.errors[0].reason
    assert result.rows[-1].sex == "男"


def test_missing_name_is_rejected():
    rows = family()
    rows[2][3] = "  "
    result = parse_roster(xlsx([HEADER, *rows]), "村.xlsx")
    assert [(e.row_number, e.column, e.reason) for e in result.errors] == [(5, "姓名", "缺少姓名")]


def test_chinese_names_lose_inner_spaces_and_others_keep_one():
    rows = family()
    rows[0][3] = " 张　三 "
    rows[1][3] = "  Anna   Li "
    result = parse_roster(xlsx([HEADER, *rows]), "村.xlsx")
    assert [r.name for r in result.rows[:2]] == ["张三", "Anna Li"]


def test_invalid_phone_is_rejected_with_the_value_masked():
    rows = family()
    rows[0][6] = "1381234567"
    result = parse_roster(xlsx([HEADER, *rows]), "村.xlsx")
    (error,) = [e for e in result.errors if e.column == "手机号"]
    assert error.value == "13****67"


def test_members_of_a_household_whose_head_was_rejected_are_held_back():
    rows = family()
    rows[0][5] = "123"
    result = parse_roster(xlsx([HEADER, *rows]), "村.xlsx")
    assert result.rows == []
    assert result.rejected_row_numbers == [3, 4, 5]
    assert "户主（第 3 行）未通过校验" in result.errors[-1].reason


def test_second_head_of_a_household_is_rejected():
    rows = family()
    rows[2][2] = "本人"
    result = parse_roster(xlsx([HEADER, *rows]), "村.xlsx")
    assert [(e.row_number, e.column) for e in result.errors] == [(5, "与户主关系")]
    assert "已有户主（第 3 行）" in result.errors[0].reason


def test_header_synonyms_are_accepted():
    header = ["序号", "户编号", "户主", "姓名", "性别", "身份证号码", "联系电话", "组别"]
    result = parse_roster(xlsx([header, *family()], title=None), "村.xlsx")
    assert result.header_row == 1
    assert result.errors == []
    assert result.rows[0].phone == "13812345678"
    assert result.rows[0].group == "一组"


def test_optional_columns_may_be_absent():
    header = ["户号", "关系", "姓名", "身份证"]
    rows = [[r[1], r[2], r[3], r[5]] for r in family()]
    result = parse_roster(xlsx([header, *rows], title=None), "村.xlsx")
    assert result.errors == []
    head = result.rows[0]
    assert (head.serial, head.phone, head.group, head.sex) == (None, None, None, "男")


def test_missing_required_column_gives_one_sheet_level_error():
    header = ["序号", "姓名", "性别", "身份证号"]
    rows = [[r[0], r[3], r[4], r[5]] for r in family()]
    result = parse_roster(xlsx([header, *rows]), "村.xlsx")
    assert result.rows == []
    (error,) = result.errors
    assert (error.row_number, error.column) == (2, "户号、与户主关系")
    assert "缺少" in error.reason


def test_sheet_without_a_header_gives_one_sheet_level_error():
    result = parse_roster(xlsx([["张三", HEAD_ID], ["李四", WIFE_ID]]), "村.xlsx")
    assert result.rows == []
    (error,) = result.errors
    assert error.row_number is None
    assert "表头" in error.reason


def test_template_rows_with_only_a_serial_number_are_skipped():
    result = parse_roster(xlsx([HEADER, *family(), [4], [5], ["合计", None, None, "3人"]]), "村.xlsx")
    assert result.errors == []
    assert len(result.rows) == 3


def test_roster_on_a_later_sheet_is_found():
    workbook = Workbook()
    workbook.active.append(["填表说明：身份证号请设为文本格式"])
    sheet = workbook.create_sheet("花名册")
    for row in [HEADER, *family()]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    result = parse_roster(buffer, "村.xlsx")
    assert (result.errors, len(result.rows)) == ([], 3)


def test_too_many_rows_give_one_sheet_level_error_and_no_rows(monkeypatch):
    monkeypatch.setattr(roster_sheet, "MAX_DATA_ROWS", 2)
    result = parse_roster(xlsx([HEADER, *family()]), "村.xlsx")
    assert result.rows == []
    assert [e.row_number for e in result.errors] == [None]
    assert "分批" in result.errors[0].reason


def test_utf8_csv_with_bom_is_parsed():
    fileobj = csv_bytes([["花名册"], HEADER, *family()], encoding="utf-8-sig")
    result = parse_roster(fileobj, "roster.CSV")
    assert result.errors == []
    assert result.header_row == 2
    assert [r.name for r in result.rows] == ["张三", "李四", "张小"]


def test_gb18030_csv_from_chinese_excel_is_parsed():
    result = parse_roster(csv_bytes([HEADER, *family()], encoding="gb18030"), "roster.csv")
    assert result.errors == []
    assert result.rows[0].relation == "户主"


def test_csv_scientific_notation_text_is_rejected_with_the_excel_reason():
    rows = family()
    rows[2][5] = "3.30282E+17"
    result = parse_roster(csv_bytes([HEADER, *rows]), "roster.csv")
    assert [e.reason for e in result.errors] == [SCIENTIFIC_REASON]


@pytest.mark.parametrize(
    ("filename", "content", "fragment"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0", ".xls"),
        ("broken.xlsx", b"not a zip", "无法读取"),
        ("a.pdf", b"", "只支持"),
    ],
)
def test_unreadable_or_unsupported_files_give_one_sheet_level_error(filename, content, fragment):
    result = parse_roster(io.BytesIO(content), filename)
    assert result.rows == []
    assert fragment in result.errors[0].reason


def test_written_roster_reads_back_with_text_ids_and_a_bold_header():
    columns = [("name", "姓名"), ("id_number", "身份证号"), ("phone", "手机号"), ("points", "积分")]
    rows = [
        {"name": "张三", "id_number": HEAD_ID, "phone": "13812345678", "points": 120},
        {"name": '=HYPERLINK("http://x")', "id_number": WIFE_ID, "phone": None, "points": 0},
    ]
    sheet = load_workbook(io.BytesIO(write_roster_xlsx(rows, columns))).active
    assert [c.value for c in sheet[1]] == ["姓名", "身份证号", "手机号", "积分"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet["B2"].value == HEAD_ID
    assert (sheet["B2"].data_type, sheet["B2"].number_format) == ("s", "@")
    assert sheet["C2"].value == "13812345678"
    assert sheet["D2"].value == 120
    assert (sheet["A3"].data_type, sheet["A3"].value) == ("s", '=HYPERLINK("http://x")')


def test_written_roster_parses_back_to_the_same_people():
    columns = [
        (k, h)
        for k, h in zip(
            ["serial", "household_code", "relation", "name", "sex", "id_number", "phone", "group"],
            HEADER,
            strict=True,
        )
    ]
    keys = [k for k, _ in columns]
    rows = [dict(zip(keys, r, strict=True)) for r in family()]
    result = parse_roster(io.BytesIO(write_roster_xlsx(rows, columns)), "export.xlsx")
    assert result.errors == []
    assert [r.id_number for r in result.rows] == [HEAD_ID, WIFE_ID, SON_ID]
