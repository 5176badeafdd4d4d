"""Committees import a messy roster sheet: dry run, all-or-nothing, idempotent; export masks numbers."""

import io
from pathlib import Path

import openpyxl
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AuditEntry, Household, Villager
from tests.conftest import body
from tests.factories import auth, make_staff, make_village

SAMPLE = Path(__file__).parents[2] / "data" / "roster-dongcun-messy.xlsx"
CSV_HEADER = "序号,户号,与户主关系,姓名,性别,身份证号,手机号,村民小组\n"


def upload(client, village, staff, content: bytes, filename: str, dry_run: bool):
    return client.post(
        f"/api/v1/villages/{village.id}/roster-imports?dry_run={'true' if dry_run else 'false'}",
        data={"file": (io.BytesIO(content), filename)},
        headers=auth(staff),
        content_type="multipart/form-data",
    )


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def committee_of_new_village():
    village = make_village(code="DC01", name="东村")
    return village, make_staff("committee", village=village)


def test_dry_run_of_the_messy_sample_reports_every_bad_row_and_imports_nothing(client):
    village, staff = committee_of_new_village()
    response = upload(client, village, staff, SAMPLE.read_bytes(), SAMPLE.name, dry_run=True)
    assert response.status_code == 200, body(response)
    report = body(response)
    assert report["valid_rows"] == 131
    bad_rows = {e["row"] for e in report["errors"]}
    # 序号 n sits on spreadsheet row n + 2 (title and header rows above).
    assert bad_rows == {n + 2 for n in (16, 20, 24, 26, 29, 32)}
    reasons = {e["row"]: e["reason"] for e in report["errors"]}
    assert "15 位" in reasons[31]  # Excel scientific notation lost the last digits
    assert "户主" in reasons[34]  # DC999 has no head
    assert count(Villager) == 0


def test_real_import_with_bad_rows_is_refused_whole(client):
    village, staff = committee_of_new_village()
    response = upload(client, village, staff, SAMPLE.read_bytes(), SAMPLE.name, dry_run=False)
    assert response.status_code == 422
    data = body(response)
    assert "未导入任何数据" in data["message"]
    assert len(data["errors"]["rows"]) == 6
    assert count(Villager) == 0 and count(Household) == 0


def clean_sample() -> bytes:
    """The sample with its bad rows removed, as a committee member would fix it."""
    book = openpyxl.load_workbook(SAMPLE)
    sheet = book.active
    for row in sorted((n + 2 for n in (16, 20, 24, 26, 29, 32)), reverse=True):
        sheet.delete_rows(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_clean_sheet_imports_all_rows_and_reimport_changes_nothing(client):
    village, staff = committee_of_new_village()
    sheet = clean_sample()
    first = body(upload(client, village, staff, sheet, "roster.xlsx", dry_run=False))
    assert (first["created"], first["updated"], first["unchanged"]) == (131, 0, 0)
    assert count(Household) == 40
    audit_before = count(AuditEntry)
    again = body(upload(client, village, staff, sheet, "roster.xlsx", dry_run=False))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 131)
    assert count(Villager) == 131
    assert count(AuditEntry) == audit_before + 1  # the import itself, no per-row noise


def test_reimport_updates_a_changed_phone_and_records_it(client):
    village, staff = committee_of_new_village()
    rows = "1,H1,户主,王伟,男,{id},13800000001,一组\n"
    from tests.factories import new_id_number

    id_number = new_id_number()
    upload(client, village, staff, (CSV_HEADER + rows.format(id=id_number)).encode(), "r.csv", dry_run=False)
    changed = (CSV_HEADER + rows.format(id=id_number).replace("13800000001", "13900000002")).encode()
    report = body(upload(client, village, staff, changed, "r.csv", dry_run=False))
    assert report["updated"] == 1
    villager = db.session.execute(select(Villager)).scalar_one()
    assert villager.phone_masked == "139****0002"


def test_csv_in_gb18030_from_an_old_office_pc_imports(client):
    village, staff = committee_of_new_village()
    from tests.factories import new_id_number

    content = (CSV_HEADER + f"1,H1,户主,王伟,男,{new_id_number()},,一组\n").encode("gb18030")
    report = body(upload(client, village, staff, content, "名单.csv", dry_run=False))
    assert report["created"] == 1


def test_upload_without_a_file_names_the_field(client):
    village, staff = committee_of_new_village()
    response = client.post(f"/api/v1/villages/{village.id}/roster-imports", headers=auth(staff), data={})
    assert response.status_code == 422
    assert "file" in body(response)["errors"]


def test_unreadable_file_is_reported_not_crashed(client):
    village, staff = committee_of_new_village()
    report = body(upload(client, village, staff, b"not a spreadsheet", "roster.xlsx", dry_run=True))
    assert report["valid_rows"] == 0 and report["errors"]


def test_committee_cannot_import_into_another_village(client):
    village, _ = committee_of_new_village()
    stranger = make_staff("committee", village=make_village())
    assert upload(client, village, stranger, clean_sample(), "r.xlsx", dry_run=True).status_code == 404


def test_villager_cannot_import(client):
    from tests.factories import make_villager_user

    village, _ = committee_of_new_village()
    response = upload(client, village, make_villager_user(), clean_sample(), "r.xlsx", dry_run=True)
    assert response.status_code == 403


def test_export_is_xlsx_with_masked_numbers(client):
    village, staff = committee_of_new_village()
    upload(client, village, staff, clean_sample(), "roster.xlsx", dry_run=False)
    response = client.get(f"/api/v1/villages/{village.id}/roster.xlsx", headers=auth(staff))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["序号", "户号", "与户主关系", "姓名", "性别", "身份证号"]
    ids = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(ids) == 131
    assert all("********" in value for value in ids)


def test_cli_import_reports_rows_and_exits_nonzero_on_problems(runner, app):
    make_village(code="DC01", name="东村")
    result = runner.invoke(args=["roster", "import", str(SAMPLE), "--village", "DC01", "--dry-run"])
    assert result.exit_code == 1
    assert "131 valid rows, 6 problems" in result.output
    assert count(Villager) == 0


def test_cli_import_of_a_clean_sheet(runner, app, tmp_path):
    make_village(code="DC01", name="东村")
    path = tmp_path / "clean.xlsx"
    path.write_bytes(clean_sample())
    result = runner.invoke(args=["roster", "import", str(path), "--village", "DC01"])
    assert result.exit_code == 0, result.output
    assert "created 131" in result.output
    assert count(Villager) == 131
