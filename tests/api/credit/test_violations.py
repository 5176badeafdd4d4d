"""Village-rule violations: public notice, objection, the committee's decision, and every refusal on the way."""

import threading

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEntry, CreditEntry
from tests.api.credit.helpers import line_of, my_credit, record_violation
from tests.conftest import body
from tests.factories import auth


def test_violation_is_pending_during_notice_then_counts(client, world, frozen):
    response = record_violation(client, world)
    assert response.status_code == 201, response.get_data(as_text=True)
    entry = body(response)
    assert (entry["rule_code"], entry["rule_version"], entry["counts_from"]) == ("R01", 1, "2026-03-17")

    credit = my_credit(client, world)
    assert (credit["score"], credit["level"]) == (1000, "AA")
    assert [line["event_id"] for line in credit["pending"]] == [entry["id"]]
    assert line_of(credit, entry["id"])["status"] == "pending"
    assert "违章搭建" in line_of(credit, entry["id"])["sentence"]

    frozen.advance(days=7)  # 2026-03-17: the notice window is over
    credit = my_credit(client, world)
    assert (credit["score"], credit["level"]) == (950, "A")
    line = line_of(credit, entry["id"])
    assert (line["status"], line["amount"]) == ("counted", -50)
    assert line["sentence"] == "王大明于2026年3月8日违章搭建经劝导未拆除，扣 50 分"
    assert 1 <= len(credit["reasons"]) <= 4
    assert credit["reasons"][0]["code"] == "R01" and credit["reasons"][0]["advice"]
    compliance = next(d for d in credit["dimensions"] if d["code"] == "compliance")
    assert (compliance["label"], compliance["score"]) == ("遵规守约", -50)


def test_objection_freezes_and_upheld_decision_revokes(client, world, frozen):
    entry = body(record_violation(client, world))
    objected = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objections",
        json={"reason": "棚子是临时的，已经拆了"},
        headers=auth(world.user),
    )
    assert objected.status_code == 201, objected.get_data(as_text=True)
    assert body(objected)["status"] == "open"
    frozen.advance(days=10)
    credit = my_credit(client, world)
    assert (credit["score"], line_of(credit, entry["id"])["status"]) == (1000, "frozen")

    decided = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objection-decision",
        json={"upheld": True, "note": "经核实已拆除，撤销登记"},
        headers=auth(world.cw2),
    )
    assert decided.status_code == 200, decided.get_data(as_text=True)
    assert body(decided)["status"] == "revoked"
    credit = my_credit(client, world)
    assert (credit["score"], line_of(credit, entry["id"])["status"]) == (1000, "revoked")
    actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions == ["credit.violation.record", "credit.objection.raise", "credit.objection.uphold"]


def test_dismissed_objection_counts_from_end_of_notice_window(client, world, frozen):
    entry = body(record_violation(client, world))
    client.post(
        f"/api/v1/credit-entries/{entry['id']}/objections", json={"reason": "不是我搭的"}, headers=auth(world.user)
    )
    frozen.advance(days=3)  # decided inside the window: still pending until 2026-03-17
    decided = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objection-decision",
        json={"upheld": False, "note": "现场照片与村民本人确认，维持登记"},
        headers=auth(world.cw1),
    )
    assert (body(decided)["status"], body(decided)["counts_from"]) == ("counted", "2026-03-17")
    assert line_of(my_credit(client, world), entry["id"])["status"] == "pending"
    frozen.advance(days=4)
    assert my_credit(client, world)["score"] == 950


def test_objection_after_the_window_is_refused(client, world, frozen):
    entry = body(record_violation(client, world))
    frozen.advance(days=7)
    response = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objections", json={"reason": "迟到的异议"}, headers=auth(world.user)
    )
    assert response.status_code == 409
    assert body(response) == {
        "code": 409,
        "status": "objection_window_closed",
        "message": "公示期已于 2026-03-16 结束，不能再提出异议。",
        "errors": {},
    }


def test_second_objection_is_refused(client, world):
    entry = body(record_violation(client, world))
    url = f"/api/v1/credit-entries/{entry['id']}/objections"
    assert client.post(url, json={"reason": "第一次"}, headers=auth(world.user)).status_code == 201
    response = client.post(url, json={"reason": "第二次"}, headers=auth(world.user))
    assert response.status_code == 409
    assert body(response)["status"] == "already_objected"


@pytest.mark.slow
def test_simultaneous_objections_make_one_objection(app, client, world):
    entry = body(record_violation(client, world))
    headers = auth(world.user)
    codes: list[int] = []
    barrier = threading.Barrier(2)

    def object_once():
        with app.app_context():
            barrier.wait()
            response = client.post(
                f"/api/v1/credit-entries/{entry['id']}/objections", json={"reason": "同时"}, headers=headers
            )
            codes.append(response.status_code)

    threads = [threading.Thread(target=object_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [201, 409]


def test_decision_without_an_open_objection_is_refused(client, world):
    entry = body(record_violation(client, world))
    response = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objection-decision",
        json={"upheld": True, "note": "无"},
        headers=auth(world.cw1),
    )
    assert (response.status_code, body(response)["status"]) == (409, "no_open_objection")


def test_villager_cannot_record_violations_or_decide(client, world):
    response = record_violation(client, world, user=world.user)
    assert (response.status_code, body(response)["status"]) == (403, "forbidden")
    entry = body(record_violation(client, world))
    client.post(f"/api/v1/credit-entries/{entry['id']}/objections", json={"reason": "x"}, headers=auth(world.user))
    decided = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objection-decision",
        json={"upheld": True, "note": "自己撤销"},
        headers=auth(world.user),
    )
    assert decided.status_code == 403


def test_other_village_is_not_found(client, world):
    assert record_violation(client, world, villager=world.outsider).status_code == 404
    entry = body(record_violation(client, world))
    response = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objection-decision",
        json={"upheld": True, "note": "x"},
        headers=auth(world.other_cw),
    )
    assert (response.status_code, body(response)["status"]) == (404, "not_found")


def test_villager_cannot_object_to_a_neighbours_entry(client, world):
    entry = body(record_violation(client, world, villager=world.neighbour))
    response = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objections", json={"reason": "x"}, headers=auth(world.user)
    )
    assert response.status_code == 404
    assert client.get(f"/api/v1/credit-entries/{entry['id']}", headers=auth(world.user)).status_code == 404
    assert client.get(f"/api/v1/credit-entries/{entry['id']}", headers=auth(world.neighbour_user)).status_code == 200


def test_bad_rule_codes_and_dates_are_refused_naming_the_field(client, world):
    unknown = record_violation(client, world, rule_code="R99")
    assert unknown.status_code == 422
    assert body(unknown)["errors"] == {"rule_code": ["第 1 版信用规则中没有规则 R99"]}
    honour = record_violation(client, world, rule_code="H33")
    assert body(honour)["errors"] == {"rule_code": ["规则 H33（无偿献血）不是扣分项"]}
    future = record_violation(client, world, occurred_on="2026-03-11")
    assert body(future)["errors"] == {"occurred_on": ["日期不能晚于今天"]}
    before_rules = record_violation(client, world, occurred_on="2025-12-31")
    assert (before_rules.status_code, body(before_rules)["status"]) == (422, "no_credit_rules_on_date")
    bad_file = record_violation(client, world, file_ids=[12345])
    assert body(bad_file)["errors"] == {"file_ids": ["找不到本村的文件 12345"]}
    assert db.session.execute(select(CreditEntry.id)).first() is None


def test_committee_lists_the_villages_entries(client, world):
    record_violation(client, world)
    record_violation(client, world, villager=world.neighbour, rule_code="R02")
    listed = client.get(
        f"/api/v1/credit-entries?village_id={world.village.id}&villager_id={world.neighbour.id}",
        headers=auth(world.cw1),
    )
    assert [item["rule_code"] for item in body(listed)["items"]] == ["R02"]
    other = client.get(f"/api/v1/credit-entries?village_id={world.village.id}", headers=auth(world.other_cw))
    assert body(other)["items"] == []


def test_refusal_speaks_english_when_asked(client, world, frozen):
    entry = body(record_violation(client, world))
    frozen.advance(days=8)
    response = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objections",
        json={"reason": "late"},
        headers={**auth(world.user), "Accept-Language": "en"},
    )
    assert (
        body(response)["message"] == "The public-notice period ended on 2026-03-16; objections are no longer accepted."
    )
