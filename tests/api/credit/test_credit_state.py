"""The kept credit state (credit_states) always equals a fresh evaluation: after each kind of entry change, after a
rule publish or a change of the villager's facts, and across the day an entry starts or stops counting."""

from datetime import date

from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import CreditState, Villager
from backend.services.credit.state import evaluate_state, is_current, read_state
from backend.services.shops.gates import redemption_block_reason
from tests.api.credit.helpers import record_violation
from tests.conftest import body
from tests.factories import auth
from tests.factories.credit import credit_document, make_credit_rule_set

COMPARED = ("score", "level", "rule_version", "blocked_by", "gates", "valid_until", "rules_key", "facts_key")


def kept(villager_id: int) -> dict:
    db.session.rollback()  # a fresh read transaction: see what the requests committed
    row = db.session.execute(select(CreditState).where(CreditState.villager_id == villager_id)).scalar_one()
    return {name: getattr(row, name) for name in COMPARED}


def fresh(villager_id: int) -> dict:
    db.session.rollback()
    values = evaluate_state(db.session, read_state(db.session, villager_id), clock.today())
    values["gates"] = [dict(gate) for gate in values["gates"]]
    return {name: values[name] for name in COMPARED}


def assert_kept_is_fresh(villager_id: int) -> None:
    state = kept(villager_id)
    state["gates"] = [dict(gate) for gate in state["gates"]]
    assert state == fresh(villager_id)
    assert is_current(read_state(db.session, villager_id), clock.today())


def test_every_kind_of_entry_change_refreshes_the_kept_state(client, world, frozen):
    villager = world.villager.id
    entry = body(record_violation(client, world))  # a new entry, pending during its notice window
    assert_kept_is_fresh(villager)
    assert kept(villager)["valid_until"] == date(2026, 3, 17)  # the day it starts counting

    objected = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objections", json={"reason": "不是我搭的"}, headers=auth(world.user)
    )
    assert objected.status_code == 201
    assert_kept_is_fresh(villager)  # frozen

    decided = client.post(
        f"/api/v1/credit-entries/{entry['id']}/objection-decision",
        json={"upheld": False, "note": "维持登记"},
        headers=auth(world.cw1),
    )
    assert decided.status_code == 200
    assert_kept_is_fresh(villager)  # counted again

    second = body(record_violation(client, world, rule_code="R02", occurred_on="2026-03-09"))
    client.post(f"/api/v1/credit-entries/{second['id']}/objections", json={"reason": "误登"}, headers=auth(world.user))
    upheld = client.post(
        f"/api/v1/credit-entries/{second['id']}/objection-decision",
        json={"upheld": True, "note": "撤销"},
        headers=auth(world.cw2),
    )
    assert upheld.status_code == 200
    assert_kept_is_fresh(villager)  # revoked

    honour = client.post(
        "/api/v1/honours",
        json={"rule_code": "H33", "occurred_on": "2026-03-05", "description": "无偿献血", "facts": {}},
        headers=auth(world.user),
    )
    approved = client.post(f"/api/v1/honours/{body(honour)['id']}/approve", json={}, headers=auth(world.cw1))
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert_kept_is_fresh(villager)  # an approved honour

    frozen.advance(days=7)  # 2026-03-17: the violation counts; the kept state has passed its day
    assert not is_current(read_state(db.session, villager), clock.today())
    assert redemption_block_reason(db.session, villager) is None  # a gate read refreshes it
    db.session.commit()
    assert_kept_is_fresh(villager)
    assert kept(villager)["score"] == fresh(villager)["score"]

    repair = client.post(
        "/api/v1/credit-repairs",
        json={"entry_id": entry["id"], "statement": "彩钢棚已拆除", "evidence_text": "照片"},
        headers=auth(world.user),
    )
    assert repair.status_code == 201, repair.get_data(as_text=True)
    repaired = client.post(f"/api/v1/credit-repairs/{body(repair)['id']}/approve", json={}, headers=auth(world.cw1))
    assert repaired.status_code == 200
    assert_kept_is_fresh(villager)  # a repair entry

    listed = client.post(
        "/api/v1/dishonesty-entries",
        json={
            "villager_id": villager,
            "reason": "拒不履行村民会议决定",
            "starts_on": "2026-03-17",
            "ends_on": "2026-06-30",
        },
        headers=auth(world.cw1),
    )
    assert listed.status_code == 201, listed.get_data(as_text=True)
    assert_kept_is_fresh(villager)  # a dishonesty-list entry
    assert kept(villager)["level"] == "B"

    frozen.advance(days=106)  # 2026-07-01: the term has ended
    assert not is_current(read_state(db.session, villager), clock.today())
    redemption_block_reason(db.session, villager)
    db.session.commit()
    assert_kept_is_fresh(villager)
    assert kept(villager)["level"] != "B"


def test_a_publish_or_a_change_of_the_villagers_facts_makes_the_kept_state_stale(client, world, frozen):
    villager = world.villager.id
    record_violation(client, world)
    assert_kept_is_fresh(villager)

    person = db.session.get(Villager, villager)
    person.group_name = "第三村民小组"
    db.session.commit()
    assert not is_current(read_state(db.session, villager), clock.today())
    redemption_block_reason(db.session, villager)
    db.session.commit()
    assert_kept_is_fresh(villager)

    make_credit_rule_set(world.village, document=credit_document(), version=2, effective_from=date(2026, 4, 1))
    assert not is_current(read_state(db.session, villager), clock.today())
    redemption_block_reason(db.session, villager)
    db.session.commit()
    assert_kept_is_fresh(villager)
    assert kept(villager)["valid_until"] <= date(2026, 4, 1)  # the day version 2 takes effect
