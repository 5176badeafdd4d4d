"""The dishonesty list (失信清单): village decisions, court-list imports, effects while in force, automatic end."""

import io
from datetime import date

from openpyxl import Workbook

from backend.adapters.idcard import make_id_number
from backend.extensions import db
from backend.services.shops.gates import redemption_block_reason
from tests.api.credit.helpers import my_credit
from tests.conftest import body
from tests.factories import auth, make_villager


def _list(client, world, **payload):
    payload = {
        "villager_id": world.villager.id,
        "reason": "恶意拖欠村集体承包费拒不履行",
        "starts_on": "2026-03-10",
        "ends_on": "2026-06-30",
        **payload,
    }
    return client.post("/api/v1/dishonesty-entries", json=payload, headers=auth(world.cw1))


def test_village_list_caps_the_level_until_the_term_ends(client, world, frozen):
    listed = _list(client, world)
    assert listed.status_code == 201, listed.get_data(as_text=True)
    assert (body(listed)["status"], body(listed)["source"]) == ("active", "村委会决定")
    credit = my_credit(client, world)
    assert (credit["score"], credit["level"], credit["level_before_gates"]) == (1000, "B", "AA")
    gate = credit["gates"][0]
    assert (gate["code"], gate["effect"], gate["level"], gate["binding"]) == ("G04", "cap_level", "B", True)
    assert credit["reasons"][0]["sentence"] == "G04 列入村失信清单期内等级最高为 B，等级最高为 B"
    assert redemption_block_reason(db.session, world.villager.id) is None  # the village gate only caps the level

    frozen.advance(days=112)  # 2026-06-30, the last day of the term
    assert my_credit(client, world)["level"] == "B"
    frozen.advance(days=1)
    credit = my_credit(client, world)
    assert (credit["level"], credit["gates"]) == ("AA", [])
    page = body(client.get(f"/api/v1/dishonesty-entries?village_id={world.village.id}", headers=auth(world.cw1)))
    assert [item["status"] for item in page["items"]] == ["ended"]
    active = client.get(
        f"/api/v1/dishonesty-entries?village_id={world.village.id}&status=active", headers=auth(world.cw1)
    )
    assert body(active)["items"] == []


def test_list_entry_refusals(client, world):
    backwards = _list(client, world, ends_on="2026-03-01")
    assert body(backwards)["errors"] == {"ends_on": ["截止日期不能早于列入日期"]}
    unknown = _list(client, world, rule_code="R99")
    assert body(unknown)["errors"] == {"rule_code": ["第 1 版信用规则中没有规则 R99"]}
    assert _list(client, world, villager_id=world.outsider.id).status_code == 404
    by_villager = client.post(
        "/api/v1/dishonesty-entries",
        json={"villager_id": world.villager.id, "reason": "x", "starts_on": "2026-03-10", "ends_on": "2026-04-10"},
        headers=auth(world.user),
    )
    assert by_villager.status_code == 403


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode("utf-8-sig")


def _import(client, world, data: bytes, filename: str, ends_on="2026-12-31"):
    return client.post(
        f"/api/v1/villages/{world.village.id}/court-list-imports?ends_on={ends_on}",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=auth(world.cw1),
    )


def test_court_list_import_matches_by_id_number_and_blocks_redemption(client, world, frozen):
    listed_id = make_id_number("330282", date(1975, 4, 2), 33)
    listed = make_villager(world.village, name="钱失信", id_number=listed_id)
    stranger_id = make_id_number("330282", date(1980, 1, 1), 77)
    data = _csv(
        [
            ["序号", "姓名", "身份证号码", "案号", "截止日期"],
            ["1", "钱失信", listed_id, "（2026）浙0282执123号", "2026-05-31"],
            ["2", "孙不在", stranger_id, "（2026）浙0282执456号", ""],
            ["3", "坏号码", "33028219800101123", "", ""],
        ]
    )
    response = _import(client, world, data, "court.csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    report = body(response)
    assert (report["total_rows"], report["added"], report["already_listed"]) == (3, 1, 0)
    assert [(row["row"], row["reason"]) for row in report["unmatched"]] == [
        (3, "本村花名册中没有此身份证号"),
        (4, "身份证号应为 18 位，当前为 17 位"),
    ]
    assert report["unmatched"][0]["id_number"].startswith("330282") and "*" in report["unmatched"][0]["id_number"]

    reason = redemption_block_reason(db.session, listed.id)
    assert reason == "信用关卡生效中（法院失信被执行人名单期内暂停积分兑换），暂不能兑换积分。"
    page = body(client.get(f"/api/v1/villagers/{listed.id}/credit", headers=auth(world.cw1)))
    assert (page["level"], page["blocks_redemption"]) == ("C", True)
    assert {gate["code"] for gate in page["gates"]} >= {"R12", "G01"}

    again = body(_import(client, world, data, "court.csv"))
    assert (again["added"], again["already_listed"]) == (0, 1)

    frozen.advance(days=83)  # 2026-06-01: the court term ended on 2026-05-31
    assert redemption_block_reason(db.session, listed.id) is None
    assert body(client.get(f"/api/v1/villagers/{listed.id}/credit", headers=auth(world.cw1)))["level"] == "AA"


def test_court_list_import_reads_xlsx(client, world):
    listed_id = make_id_number("330282", date(1970, 7, 7), 11)
    make_villager(world.village, name="周某", id_number=listed_id)
    book = Workbook()
    sheet = book.active
    sheet.append(["失信被执行人名单（演示）"])
    sheet.append(["姓名", "身份证号", "失信原因", "列入日期"])
    sheet.append(["周某", listed_id, "有履行能力而拒不履行", "2026-03-01"])
    stream = io.BytesIO()
    book.save(stream)
    report = body(_import(client, world, stream.getvalue(), "名单.xlsx"))
    assert (report["added"], report["unmatched"]) == (1, [])
    page = body(client.get(f"/api/v1/dishonesty-entries?village_id={world.village.id}", headers=auth(world.cw1)))
    item = page["items"][0]
    assert (item["list_kind"], item["reason"], item["starts_on"], item["ends_on"]) == (
        "court",
        "有履行能力而拒不履行",
        "2026-03-01",
        "2026-12-31",
    )


def test_court_list_import_refusals(client, world):
    wrong_type = _import(client, world, b"x", "list.pdf")
    assert body(wrong_type)["errors"] == {"file": ["只支持 .xlsx 或 .csv 文件"]}
    no_column = _import(client, world, _csv([["姓名"], ["张三"]]), "list.csv")
    assert (no_column.status_code, list(body(no_column)["errors"])) == (422, ["file"])
    broken = _import(client, world, b"not a zip", "list.xlsx")
    assert body(broken)["errors"] == {"file": ["无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏"]}
    other = client.post(
        f"/api/v1/villages/{world.other_village.id}/court-list-imports?ends_on=2026-12-31",
        data={"file": (io.BytesIO(b"a"), "x.csv")},
        content_type="multipart/form-data",
        headers=auth(world.cw1),
    )
    assert other.status_code == 404
