"""Scan-to-pay: the receipt, what moves, and every refusal leaving nothing half-written."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import AuditEntry, BudgetUsage, Villager
from backend.services.ledger.balances import villager_balance
from tests.conftest import body, use_settings
from tests.factories import auth, make_villager, make_villager_user
from tests.factories.shops import (
    give_points,
    make_item,
    make_shop,
    make_shopkeeper,
    new_pay_code,
    redeem,
    set_funding,
    state,
)


def test_redemption_spends_points_drops_stock_and_returns_a_receipt(client, world):
    response = redeem(
        client,
        world.keeper,
        code=world.code(),
        shop_id=world.shop.id,
        items=[{"item_id": world.soap.id, "quantity": 2}, {"item_id": world.oil.id, "quantity": 1}],
    )
    assert response.status_code == 201, response.get_json()
    receipt = body(response)
    assert receipt["points"] == 50
    assert receipt["balance_after"] == 50
    assert receipt["status"] == "completed"
    assert len(receipt["receipt_no"]) == 18
    assert [(line["name"], line["quantity"], line["points"]) for line in receipt["items"]] == [
        ("肥皂", 2, 20),
        ("食用油", 1, 30),
    ]
    after = state(world)
    assert after["balance"] == 50
    assert after["stock"] == {world.soap.id: 998, world.oil.id: 4}
    history = body(client.get("/api/v1/me/redemptions", headers=auth(world.user)))
    assert [sale["receipt_no"] for sale in history["items"]] == [receipt["receipt_no"]]


def test_same_item_twice_in_one_sale_counts_as_one_line(client, world):
    items = [{"item_id": world.oil.id, "quantity": 1}, {"item_id": world.oil.id, "quantity": 2}]
    response = redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=items)
    assert response.status_code == 201
    assert [(line["quantity"], line["points"]) for line in body(response)["items"]] == [(3, 90)]


def _refused(client, world, response, code, status):
    assert response.status_code == code, response.get_json()
    data = body(response)
    assert data["status"] == status
    assert data["code"] == code
    assert data["message"]
    return data


def test_insufficient_points_is_409_and_leaves_everything(client, world):
    before = state(world)
    response = redeem(
        client, world.keeper, code=world.code(), shop_id=world.shop.id, items=[{"item_id": world.oil.id, "quantity": 4}]
    )
    _refused(client, world, response, 409, "insufficient_points")
    assert state(world) == before


def test_second_scan_of_same_pay_code_is_refused(client, world):
    code = world.code()
    line = [{"item_id": world.soap.id, "quantity": 1}]
    assert redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line).status_code == 201
    before = state(world)
    _refused(
        client, world, redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line), 409, "pay_code_used"
    )
    assert state(world) == before


def test_expired_pay_code_is_410(client, world, monkeypatch):
    code = world.code()
    later = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    before = state(world)
    response = redeem(
        client, world.keeper, code=code, shop_id=world.shop.id, items=[{"item_id": world.soap.id, "quantity": 1}]
    )
    _refused(client, world, response, 410, "pay_code_expired")
    assert state(world) == before


def test_unknown_pay_code_is_404(client, world):
    response = redeem(
        client, world.keeper, code="8" * 19, shop_id=world.shop.id, items=[{"item_id": world.soap.id, "quantity": 1}]
    )
    _refused(client, world, response, 404, "pay_code_unknown")


def test_shopkeeper_of_another_shop_is_403_and_the_code_stays_usable(client, world):
    other_keeper = make_shopkeeper(make_shop(world.village, name="隔壁小卖部"))
    code = world.code()
    line = [{"item_id": world.soap.id, "quantity": 1}]
    _refused(
        client, world, redeem(client, other_keeper, code=code, shop_id=world.shop.id, items=line), 403, "not_your_shop"
    )
    assert redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line).status_code == 201


def test_committee_cannot_redeem(client, world):
    from tests.factories import make_staff

    committee = make_staff("committee", village=world.village)
    response = redeem(client, committee, code=world.code(), shop_id=world.shop.id, items=[])
    assert response.status_code in (403, 422)
    response = redeem(
        client, committee, code=world.code(), shop_id=world.shop.id, items=[{"item_id": world.soap.id, "quantity": 1}]
    )
    _refused(client, world, response, 403, "forbidden")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"item_id": 1, "quantity": 0}]}, "items"),
        ({"pay_code": "12345"}, "pay_code"),
        ({"shop_id": "x"}, "shop_id"),
        ({"balance": 5}, "balance"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, world, payload, field):
    base = {"pay_code": world.code(), "shop_id": world.shop.id, "items": [{"item_id": world.soap.id, "quantity": 1}]}
    response = client.post(
        "/api/v1/redemptions", json={**base, **payload}, headers={**auth(world.keeper), "Idempotency-Key": "k"}
    )
    data = _refused(client, world, response, 422, "invalid_input")
    assert field in data["errors"]


def test_item_of_another_shop_or_inactive_is_422_and_the_code_stays_usable(client, world):
    foreign = make_item(make_shop(world.village, name="别家"), price=10)
    hidden = make_item(world.shop, price=10, is_active=False)
    code = world.code()
    before = state(world)
    response = redeem(
        client,
        world.keeper,
        code=code,
        shop_id=world.shop.id,
        items=[{"item_id": foreign.id, "quantity": 1}, {"item_id": hidden.id, "quantity": 1}],
    )
    data = _refused(client, world, response, 422, "invalid_input")
    assert set(data["errors"]["items"]) == {"0", "1"}
    assert state(world) == before
    line = [{"item_id": world.soap.id, "quantity": 1}]
    assert redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line).status_code == 201


def test_item_outside_its_window_is_422(client, world):
    later = make_item(world.shop, active_from=clock.now() + timedelta(days=1))
    response = redeem(
        client, world.keeper, code=world.code(), shop_id=world.shop.id, items=[{"item_id": later.id, "quantity": 1}]
    )
    _refused(client, world, response, 422, "invalid_input")


def test_out_of_stock_is_409(client, world):
    give_points(world.villager, 200)
    before = state(world)
    response = redeem(
        client, world.keeper, code=world.code(), shop_id=world.shop.id, items=[{"item_id": world.oil.id, "quantity": 6}]
    )
    data = _refused(client, world, response, 409, "out_of_stock")
    assert "食用油" in data["message"]
    assert state(world) == before


def test_monthly_limit_per_person_is_409_once_reached(client, world):
    capped = make_item(world.shop, name="大米", price=10, monthly_limit=2)
    line = [{"item_id": capped.id, "quantity": 2}]
    assert redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=line).status_code == 201
    before = state(world)
    response = redeem(
        client, world.keeper, code=world.code(), shop_id=world.shop.id, items=[{"item_id": capped.id, "quantity": 1}]
    )
    data = _refused(client, world, response, 409, "limit_reached")
    assert "大米" in data["message"]
    assert state(world) == before
    neighbour = make_villager(world.village, name="王五")
    give_points(neighbour, 50)
    other_code = new_pay_code(make_villager_user(neighbour))
    assert redeem(client, world.keeper, code=other_code, shop_id=world.shop.id, items=line).status_code == 201


def test_redemption_beyond_the_village_budget_is_refused(client, world):
    set_funding(world.village, budget=40)
    line = [{"item_id": world.oil.id, "quantity": 1}]
    assert redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=line).status_code == 201
    before = state(world)
    data = _refused(
        client,
        world,
        redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=line),
        409,
        "budget_exhausted",
    )
    assert "10" in data["message"]
    assert state(world) == before
    usage = db.session.execute(select(BudgetUsage)).scalar_one()
    assert usage.points == 30


def test_villager_frozen_after_taking_a_code_cannot_spend_it(client, world):
    code = world.code()
    db.session.get(Villager, world.villager.id).frozen = True
    db.session.commit()
    before = state(world)
    response = redeem(
        client, world.keeper, code=code, shop_id=world.shop.id, items=[{"item_id": world.soap.id, "quantity": 1}]
    )
    _refused(client, world, response, 403, "redemption_blocked")
    assert state(world) == before


def test_villager_of_a_village_the_shop_does_not_serve_is_403(client, world):
    from tests.factories import make_village

    elsewhere = make_village()
    stranger = make_villager(elsewhere, name="赵六")
    give_points(stranger, 50)
    code = new_pay_code(make_villager_user(stranger))
    response = redeem(
        client, world.keeper, code=code, shop_id=world.shop.id, items=[{"item_id": world.soap.id, "quantity": 1}]
    )
    _refused(client, world, response, 403, "village_not_served")


def test_town_wide_shop_serves_every_village_of_its_town(client, world):
    town_shop = make_shop(None, town_id=world.village.town_id, name="镇供销社")
    keeper = make_shopkeeper(town_shop)
    item = make_item(town_shop, price=15)
    response = redeem(
        client, keeper, code=world.code(), shop_id=town_shop.id, items=[{"item_id": item.id, "quantity": 1}]
    )
    assert response.status_code == 201
    assert villager_balance(db.session, world.villager.id) == 85


def test_suspended_shop_cannot_sell(client, world):
    world.shop.status = "suspended"
    db.session.commit()
    response = redeem(
        client,
        world.keeper,
        code=world.code(),
        shop_id=world.shop.id,
        items=[{"item_id": world.soap.id, "quantity": 1}],
    )
    _refused(client, world, response, 409, "shop_not_active")


def test_void_gives_points_and_stock_back_records_audit_and_is_idempotent(client, world):
    set_funding(world.village, budget=1000)
    sale = body(
        redeem(
            client,
            world.keeper,
            code=world.code(),
            shop_id=world.shop.id,
            items=[{"item_id": world.oil.id, "quantity": 2}],
        )
    )
    first = client.post(f"/api/v1/redemptions/{sale['id']}/void", headers=auth(world.keeper))
    assert first.status_code == 200, first.get_json()
    assert body(first)["status"] == "voided"
    after = state(world)
    assert after["balance"] == 100
    assert after["stock"][world.oil.id] == 5
    assert db.session.execute(select(BudgetUsage.points)).scalar_one() == 0
    again = client.post(f"/api/v1/redemptions/{sale['id']}/void", headers=auth(world.keeper))
    assert again.status_code == 200
    assert state(world) == after
    audits = db.session.execute(select(AuditEntry).where(AuditEntry.action == "redemption.void")).scalars().all()
    assert len(audits) == 1
    assert audits[0].entity_id == sale["id"]
    mine = body(client.get("/api/v1/me/redemptions", headers=auth(world.user)))["items"]
    assert mine[0]["status"] == "voided"


def test_void_after_the_window_is_409(client, world, monkeypatch):
    sale = body(
        redeem(
            client,
            world.keeper,
            code=world.code(),
            shop_id=world.shop.id,
            items=[{"item_id": world.soap.id, "quantity": 1}],
        )
    )
    later = clock.now() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.post(f"/api/v1/redemptions/{sale['id']}/void", headers=auth(world.keeper))
    _refused(client, world, response, 409, "void_window_closed")
    assert state(world)["balance"] == 90


def test_void_window_is_configurable(client, world, app, monkeypatch):
    use_settings(monkeypatch, app, redemption_void_hours=1)
    sale = body(
        redeem(
            client,
            world.keeper,
            code=world.code(),
            shop_id=world.shop.id,
            items=[{"item_id": world.soap.id, "quantity": 1}],
        )
    )
    later = clock.now() + timedelta(minutes=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.post(f"/api/v1/redemptions/{sale['id']}/void", headers=auth(world.keeper)).status_code == 409


def test_void_by_keeper_of_another_shop_is_403_and_unknown_sale_404(client, world):
    sale = body(
        redeem(
            client,
            world.keeper,
            code=world.code(),
            shop_id=world.shop.id,
            items=[{"item_id": world.soap.id, "quantity": 1}],
        )
    )
    other_keeper = make_shopkeeper(make_shop(world.village, name="隔壁"))
    response = client.post(f"/api/v1/redemptions/{sale['id']}/void", headers=auth(other_keeper))
    _refused(client, world, response, 403, "not_your_shop")
    assert state(world)["balance"] == 90
    _refused(
        client, world, client.post("/api/v1/redemptions/999999/void", headers=auth(world.keeper)), 404, "not_found"
    )
