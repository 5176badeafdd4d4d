"""Honour applications (荣誉申报) and credit repair (信用修复): apply, decide, notice, and the refusals."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEntry, CreditEntry
from tests.api.credit.helpers import line_of, my_credit, record_violation
from tests.conftest import body
from tests.factories import auth


def _apply(client, world, user=None, **changes):
    payload = {
        "rule_code": "H41",
        "occurred_on": "2026-03-05",
        "description": "跳河救起落水儿童",
        "facts": {"honour.level": "town"},
        "evidence_text": "镇政府表彰文件",
        **changes,
    }
    return client.post("/api/v1/honours", json=payload, headers=auth(user or world.user))


def test_honour_counts_after_approval_and_notice(client, world, frozen):
    applied = _apply(client, world)
    assert applied.status_code == 201, applied.get_data(as_text=True)
    application = body(applied)
    assert (application["status"], application["villager_id"]) == ("applied", world.villager.id)
    assert my_credit(client, world)["score"] == 1000

    listed = body(client.get(f"/api/v1/honours?village_id={world.village.id}&status=applied", headers=auth(world.cw1)))
    assert [item["id"] for item in listed["items"]] == [application["id"]]
    approved = client.post(f"/api/v1/honours/{application['id']}/approve", json={}, headers=auth(world.cw1))
    assert approved.status_code == 200
    entry_id = body(approved)["entry_id"]
    credit = my_credit(client, world)
    assert (credit["score"], line_of(credit, entry_id)["status"]) == (1000, "pending")

    frozen.advance(days=7)
    credit = my_credit(client, world)
    assert (credit["score"], credit["level"]) == (1050, "AAA")
    assert line_of(credit, entry_id)["sentence"] == "王大明于2026年3月5日见义勇为经镇级以上认定，加 50 分"
    assert credit["reasons"] == []  # nothing above AAA


def test_honour_whose_condition_fails_counts_nothing(client, world, frozen):
    application = body(_apply(client, world, facts={"honour.level": "village"}))
    entry_id = body(client.post(f"/api/v1/honours/{application['id']}/approve", json={}, headers=auth(world.cw1)))[
        "entry_id"
    ]
    frozen.advance(days=7)
    line = line_of(my_credit(client, world), entry_id)
    assert (line["status"], line["note"]) == ("ignored", "不满足规则 H41 的条件")


def test_committee_applies_for_a_villager_and_rejects_with_reason(client, world):
    applied = _apply(client, world, user=world.cw1, villager_id=world.neighbour.id, rule_code="H33", facts={})
    assert body(applied)["villager_id"] == world.neighbour.id
    rejected = client.post(
        f"/api/v1/honours/{body(applied)['id']}/reject", json={"reason": "缺少献血证"}, headers=auth(world.cw2)
    )
    assert (body(rejected)["status"], body(rejected)["decision_note"]) == ("rejected", "缺少献血证")
    again = client.post(f"/api/v1/honours/{body(applied)['id']}/approve", json={}, headers=auth(world.cw1))
    assert (again.status_code, body(again)["status"]) == (409, "application_decided")
    assert db.session.execute(select(CreditEntry.id)).first() is None


def test_honour_refusals(client, world):
    deduction = _apply(client, world, rule_code="R01")
    assert body(deduction)["errors"] == {"rule_code": ["规则 R01（违章搭建，经劝导未拆除）不是加分项"]}
    for_neighbour = _apply(client, world, villager_id=world.neighbour.id)
    assert for_neighbour.status_code == 404
    no_villager = _apply(client, world, user=world.cw1)
    assert body(no_villager)["errors"] == {"villager_id": ["请指定申报的村民"]}
    outsider = _apply(client, world, user=world.cw1, villager_id=world.outsider.id)
    assert outsider.status_code == 404
    application = body(_apply(client, world))
    by_villager = client.post(f"/api/v1/honours/{application['id']}/approve", json={}, headers=auth(world.user))
    assert by_villager.status_code == 403
    other_village = client.post(f"/api/v1/honours/{application['id']}/approve", json={}, headers=auth(world.other_cw))
    assert other_village.status_code == 404
    no_reason = client.post(f"/api/v1/honours/{application['id']}/reject", json={}, headers=auth(world.cw1))
    assert (no_reason.status_code, body(no_reason)["errors"]) == (422, {"reason": ["缺少必填字段。"]})


def _counted_violation(client, world, frozen, **kw) -> dict:
    entry = body(record_violation(client, world, **kw))
    frozen.advance(days=7)
    return entry


def test_approved_repair_adds_a_reversing_entry_and_keeps_history(client, world, frozen):
    entry = _counted_violation(client, world, frozen)
    assert my_credit(client, world)["score"] == 950
    applied = client.post(
        "/api/v1/credit-repairs",
        json={"entry_id": entry["id"], "statement": "彩钢棚已全部拆除", "evidence_text": "拆除后照片"},
        headers=auth(world.user),
    )
    assert applied.status_code == 201, applied.get_data(as_text=True)
    repair = body(applied)
    approved = client.post(
        f"/api/v1/credit-repairs/{repair['id']}/approve", json={"note": "现场核实已拆除"}, headers=auth(world.cw1)
    )
    assert approved.status_code == 200
    repair_entry_id = body(approved)["repair_entry_id"]
    credit = my_credit(client, world)
    assert (credit["score"], credit["level"]) == (1000, "AA")
    assert line_of(credit, entry["id"])["status"] == "repaired"
    assert line_of(credit, repair_entry_id)["sentence"] == f"信用修复：撤销事件 {entry['id']} 的影响"
    assert credit["repairs"] == [
        {"repair_id": repair_entry_id, "target_id": entry["id"], "rule_code": "R01", "restored": -50}
    ]
    original = db.session.get(CreditEntry, entry["id"])
    assert (original.status, original.rule_code) == ("counted", "R01")
    actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.entity_type == "credit_repairs"))
    assert list(actions.scalars()) == ["credit.repair.apply", "credit.repair.approve"]


def test_repair_refusals(client, world, frozen):
    entry = _counted_violation(client, world, frozen)
    url = "/api/v1/credit-repairs"
    first = body(client.post(url, json={"entry_id": entry["id"], "statement": "已改正"}, headers=auth(world.user)))
    second = client.post(url, json={"entry_id": entry["id"], "statement": "再申请"}, headers=auth(world.user))
    assert (second.status_code, body(second)["message"]) == (409, "这条记录已有修复申请（待审核），不能重复申请。")
    no_reason = client.post(f"/api/v1/credit-repairs/{first['id']}/refuse", json={}, headers=auth(world.cw1))
    assert no_reason.status_code == 422
    refused = client.post(
        f"/api/v1/credit-repairs/{first['id']}/refuse", json={"reason": "彩钢棚仍未拆除"}, headers=auth(world.cw1)
    )
    assert (body(refused)["status"], body(refused)["decision_note"]) == ("refused", "彩钢棚仍未拆除")
    assert my_credit(client, world)["score"] == 950
    # After a refusal the villager may try again once they have really put it right.
    assert (
        client.post(url, json={"entry_id": entry["id"], "statement": "已拆"}, headers=auth(world.user)).status_code
        == 201
    )
    neighbours = _counted_violation(client, world, frozen, villager=world.neighbour)
    stranger = client.post(url, json={"entry_id": neighbours["id"], "statement": "x"}, headers=auth(world.user))
    assert stranger.status_code == 404
    by_committee = client.post(url, json={"entry_id": entry["id"], "statement": "x"}, headers=auth(world.cw1))
    assert by_committee.status_code == 403


def test_only_counted_deductions_can_be_repaired(client, world, frozen):
    entry = body(record_violation(client, world))
    client.post(f"/api/v1/credit-entries/{entry['id']}/objections", json={"reason": "不服"}, headers=auth(world.user))
    response = client.post(
        "/api/v1/credit-repairs", json={"entry_id": entry["id"], "statement": "x"}, headers=auth(world.user)
    )
    assert (response.status_code, body(response)["status"]) == (409, "not_repairable")
