"""The reverse flow: a villager orders at the shop's QR code, the shopkeeper confirms or rejects."""

from datetime import timedelta

from backend import clock
from backend.extensions import db
from backend.models import RewardItem
from tests.conftest import body
from tests.factories import auth, keyed, make_villager_user
from tests.factories.shops import make_shop, make_shopkeeper, state


def _order(client, world, items=None):
    items = items or [{"item_id": world.oil.id, "quantity": 2}]
    return client.post(f"/api/v1/shops/{world.shop.id}/orders", json={"items": items}, headers=keyed(auth(world.user)))


def test_confirmed_order_spends_like_a_pay_code_and_confirming_again_is_harmless(client, world):
    placed = _order(client, world)
    assert placed.status_code == 201, placed.get_json()
    order = body(placed)
    assert (order["status"], order["points"]) == ("pending", 60)
    assert state(world)["balance"] == 100  # nothing is spent before the keeper confirms
    pending = body(client.get(f"/api/v1/shops/{world.shop.id}/orders", headers=auth(world.keeper)))["items"]
    assert [o["id"] for o in pending] == [order["id"]]
    first = client.post(f"/api/v1/orders/{order['id']}/confirm", headers=auth(world.keeper))
    assert first.status_code == 200, first.get_json()
    assert (body(first)["balance_after"], body(first)["order_id"]) == (40, order["id"])
    again = client.post(f"/api/v1/orders/{order['id']}/confirm", headers=auth(world.keeper))
    assert body(again)["id"] == body(first)["id"]
    assert state(world)["balance"] == 40
    assert state(world)["stock"][world.oil.id] == 3
    assert body(client.get(f"/api/v1/orders/{order['id']}", headers=auth(world.user)))["status"] == "confirmed"


def test_rejected_order_spends_nothing_and_cannot_be_confirmed(client, world):
    order = body(_order(client, world))
    rejected = client.post(f"/api/v1/orders/{order['id']}/reject", json={"reason": "缺货"}, headers=auth(world.keeper))
    assert body(rejected)["status"] == "rejected"
    response = client.post(f"/api/v1/orders/{order['id']}/confirm", headers=auth(world.keeper))
    assert response.status_code == 409
    assert body(response)["status"] == "order_closed"
    assert state(world)["balance"] == 100


def test_expired_order_is_410(client, world, monkeypatch):
    order = body(_order(client, world))
    later = clock.now() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.post(f"/api/v1/orders/{order['id']}/confirm", headers=auth(world.keeper))
    assert response.status_code == 410
    assert body(response)["status"] == "order_expired"


def test_confirm_with_insufficient_points_is_409_and_the_order_stays_pending(client, world):
    order = body(_order(client, world, [{"item_id": world.oil.id, "quantity": 4}]))
    before = state(world)
    response = client.post(f"/api/v1/orders/{order['id']}/confirm", headers=auth(world.keeper))
    assert response.status_code == 409
    assert body(response)["status"] == "insufficient_points"
    assert state(world) == before
    assert body(client.get(f"/api/v1/orders/{order['id']}", headers=auth(world.user)))["status"] == "pending"


def test_price_change_after_ordering_is_409(client, world):
    order = body(_order(client, world))
    db.session.get(RewardItem, world.oil.id).price_points = 35
    db.session.commit()
    response = client.post(f"/api/v1/orders/{order['id']}/confirm", headers=auth(world.keeper))
    assert response.status_code == 409
    assert body(response)["status"] == "price_changed"


def test_keeper_of_another_shop_cannot_confirm_or_see_the_order(client, world):
    order = body(_order(client, world))
    other = make_shopkeeper(make_shop(world.village, name="别家"))
    response = client.post(f"/api/v1/orders/{order['id']}/confirm", headers=auth(other))
    assert response.status_code == 403
    assert client.get(f"/api/v1/orders/{order['id']}", headers=auth(other)).status_code == 404
    assert client.post("/api/v1/orders/999999/confirm", headers=auth(world.keeper)).status_code == 404


def test_unbound_user_cannot_order_and_bad_items_are_422(client, world):
    response = client.post(
        f"/api/v1/shops/{world.shop.id}/orders",
        json={"items": [{"item_id": world.soap.id, "quantity": 1}]},
        headers=keyed(auth(make_villager_user())),
    )
    assert response.status_code in (403, 404)
    response = _order(client, world, [{"item_id": 999999, "quantity": 1}])
    assert response.status_code == 422
    assert body(response)["errors"]["items"]
