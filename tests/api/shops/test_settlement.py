"""Funding, monthly settlements (JSON and .xlsx), closing a month, and sales history."""

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook

from backend import clock
from tests.conftest import body
from tests.factories import auth, make_staff
from tests.factories.shops import make_shop, make_shopkeeper, redeem


def _sell(client, world, item, quantity):
    response = redeem(
        client,
        world.keeper,
        code=world.code(),
        shop_id=world.shop.id,
        items=[{"item_id": item.id, "quantity": quantity}],
    )
    assert response.status_code == 201, response.get_json()
    return body(response)


def test_committee_sets_rate_and_budget(client, world):
    committee = make_staff("committee", village=world.village)
    url = f"/api/v1/villages/{world.village.id}/shop-funding"
    assert body(client.get(url, headers=auth(committee))) == {
        "village_id": world.village.id,
        "yuan_per_point": "0.1",
        "monthly_budget_points": None,
    }
    response = client.put(url, json={"yuan_per_point": "0.05", "monthly_budget_points": 5000}, headers=auth(committee))
    assert response.status_code == 200
    assert body(response)["yuan_per_point"] == "0.05"
    bad = client.put(url, json={"yuan_per_point": "0.000001", "monthly_budget_points": 1}, headers=auth(committee))
    assert bad.status_code == 422
    assert (
        client.put(
            url, json={"yuan_per_point": "0.1", "monthly_budget_points": 1}, headers=auth(world.keeper)
        ).status_code
        == 403
    )


def test_settlement_counts_sales_voids_points_and_amount_owed(client, world):
    committee = make_staff("committee", village=world.village)
    client.put(
        f"/api/v1/villages/{world.village.id}/shop-funding",
        json={"yuan_per_point": "0.05", "monthly_budget_points": None},
        headers=auth(committee),
    )
    _sell(client, world, world.soap, 2)
    voided = _sell(client, world, world.oil, 1)
    _sell(client, world, world.oil, 1)
    assert client.post(f"/api/v1/redemptions/{voided['id']}/void", headers=auth(world.keeper)).status_code == 200
    month = clock.today().strftime("%Y-%m")
    report = body(client.get(f"/api/v1/shops/{world.shop.id}/settlement?month={month}", headers=auth(world.keeper)))
    assert (report["redemptions"], report["voids"], report["points"]) == (2, 1, 50)
    assert (report["amount_fen"], report["amount_yuan"]) == (250, "2.50")
    assert report["villages"][0]["yuan_per_point"] == "0.05"
    xlsx = client.get(f"/api/v1/shops/{world.shop.id}/settlement.xlsx?month={month}", headers=auth(committee))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[3][:4] == (world.village.name, 2, 1, 50)
    assert rows[-1][0] == "合计"
    assert rows[-1][5] == 2.5


def test_closing_waits_for_the_month_and_void_window_then_freezes_the_figures(client, world, monkeypatch):
    committee = make_staff("committee", village=world.village)
    _sell(client, world, world.oil, 1)
    month = clock.today().strftime("%Y-%m")
    url = f"/api/v1/shops/{world.shop.id}/settlement/close?month={month}"
    early = client.post(url, headers=auth(committee))
    assert early.status_code == 409
    assert body(early)["status"] == "month_not_over"
    start = datetime(int(month[:4]), int(month[5:]), 1)
    after = (start + timedelta(days=40)).replace(day=3)
    monkeypatch.setattr(clock, "now", lambda: after)
    closed = client.post(url, headers=auth(committee))
    assert closed.status_code == 200, closed.get_json()
    assert body(closed)["closed"] is True
    assert body(closed)["amount_fen"] == 300
    assert client.post(url, headers=auth(world.keeper)).status_code == 403


def test_other_shopkeeper_sees_no_settlement_or_sales(client, world):
    other = make_shopkeeper(make_shop(world.village, name="别家"))
    assert client.get(f"/api/v1/shops/{world.shop.id}/settlement", headers=auth(other)).status_code == 404
    assert client.get(f"/api/v1/shops/{world.shop.id}/sales", headers=auth(other)).status_code == 404
    assert client.get(f"/api/v1/shops/{world.shop.id}/sales", headers=auth(world.user)).status_code == 403


def test_sales_of_a_day_and_a_month(client, world):
    first = _sell(client, world, world.soap, 1)
    today = clock.today()
    by_day = body(
        client.get(f"/api/v1/shops/{world.shop.id}/sales?date={today.isoformat()}", headers=auth(world.keeper))
    )
    assert [s["id"] for s in by_day["items"]] == [first["id"]]
    other_day = (today - timedelta(days=1)).isoformat()
    assert (
        body(client.get(f"/api/v1/shops/{world.shop.id}/sales?date={other_day}", headers=auth(world.keeper)))["items"]
        == []
    )
    committee = make_staff("committee", village=world.village)
    by_month = body(client.get(f"/api/v1/shops/{world.shop.id}/sales?month={today:%Y-%m}", headers=auth(committee)))
    assert [s["id"] for s in by_month["items"]] == [first["id"]]
    bad = client.get(f"/api/v1/shops/{world.shop.id}/sales?month=2026-13", headers=auth(world.keeper))
    assert bad.status_code == 422
    both = client.get(f"/api/v1/shops/{world.shop.id}/sales?month=2026-11&date=2026-11-02", headers=auth(world.keeper))
    assert both.status_code == 422
