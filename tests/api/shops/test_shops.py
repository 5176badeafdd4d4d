"""Registering shops and keepers, managing items, and who sees which shop."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEntry, User
from tests.conftest import body
from tests.factories import auth, make_staff, make_town, make_village, make_villager, make_villager_user
from tests.factories.shops import make_item, make_shop, make_shopkeeper


def test_committee_registers_a_shop_and_its_keeper_who_then_signs_in(client, app):
    village = make_village()
    committee = make_staff("committee", village=village)
    response = client.post(
        "/api/v1/shops",
        json={"name": "东村积分超市", "address": "村口", "opening_hours": "8:00-20:00", "contact": "王老板"},
        headers=auth(committee),
    )
    assert response.status_code == 201, response.get_json()
    shop = body(response)
    assert (shop["village_id"], shop["status"]) == (village.id, "active")
    keeper = client.post(
        f"/api/v1/shops/{shop['id']}/shopkeepers",
        json={"username": "dc-shop", "password": "Dongcun-Shop-2026", "display_name": "王老板"},
        headers=auth(committee),
    )
    assert keeper.status_code == 201
    assert body(keeper)["role"] == "shopkeeper"
    login = client.post("/api/v1/auth/login", json={"username": "dc-shop", "password": "Dongcun-Shop-2026"})
    assert login.status_code == 200
    assert db.session.execute(select(User).where(User.username == "dc-shop")).scalar_one().shop_id == shop["id"]
    actions = set(db.session.execute(select(AuditEntry.action)).scalars())
    assert {"shop.create", "shopkeeper.create"} <= actions


def test_duplicate_shopkeeper_username_is_409(client, app):
    village = make_village()
    committee = make_staff("committee", village=village, username="taken")
    shop = make_shop(village)
    response = client.post(
        f"/api/v1/shops/{shop.id}/shopkeepers",
        json={"username": "taken", "password": "Dongcun-Shop-2026", "display_name": "x"},
        headers=auth(committee),
    )
    assert response.status_code == 409


def test_only_a_town_admin_registers_a_town_wide_shop(client, app):
    village = make_village()
    committee = make_staff("committee", village=village)
    own = client.post("/api/v1/shops", json={"name": "村超市"}, headers=auth(committee))
    assert body(own)["village_id"] == village.id
    town_admin = make_staff("town_admin", town=village.town)
    response = client.post("/api/v1/shops", json={"name": "供销社"}, headers=auth(town_admin))
    assert response.status_code == 201
    assert body(response)["village_id"] is None


def test_committee_cannot_register_a_shop_in_another_village(client, app):
    mine, other = make_village(), make_village()
    committee = make_staff("committee", village=mine)
    response = client.post("/api/v1/shops", json={"name": "x", "village_id": other.id}, headers=auth(committee))
    assert response.status_code == 404


def test_villagers_see_their_villages_and_town_wide_shops_only(client, app):
    town = make_town()
    east, west = make_village(town), make_village(town)
    east_shop, west_shop = make_shop(east, name="东"), make_shop(west, name="西")
    town_shop = make_shop(None, town_id=town.id, name="镇")
    make_shop(make_village(), name="外镇")
    make_shop(east, name="关了", status="closed")
    user = make_villager_user(make_villager(east))
    listed = [s["name"] for s in body(client.get("/api/v1/shops", headers=auth(user)))]
    assert listed == ["东", "镇"]
    assert client.get(f"/api/v1/shops/{west_shop.id}/items", headers=auth(user)).status_code == 404
    assert client.get(f"/api/v1/shops/{town_shop.id}/items", headers=auth(user)).status_code == 200
    assert client.get(f"/api/v1/shops/{east_shop.id}", headers=auth(user)).status_code == 200
    unbound = make_villager_user()
    assert body(client.get("/api/v1/shops", headers=auth(unbound))) == []


def test_villagers_see_only_items_on_offer_now_and_staff_see_all(client, world):
    make_item(world.shop, name="下架", is_active=False)
    villager_view = [
        i["name"] for i in body(client.get(f"/api/v1/shops/{world.shop.id}/items", headers=auth(world.user)))
    ]
    assert villager_view == ["肥皂", "食用油"]
    keeper_view = body(client.get(f"/api/v1/shops/{world.shop.id}/items", headers=auth(world.keeper)))
    assert len(keeper_view) == 3
    assert keeper_view[0]["unlimited"] is False


def test_shopkeeper_manages_own_items_and_stock(client, world):
    headers = auth(world.keeper)
    created = client.post(
        f"/api/v1/shops/{world.shop.id}/items",
        json={"name": "毛巾", "price_points": 20, "stock": None, "monthly_limit": 2, "picture": "https://img/1.png"},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    assert body(created)["unlimited"] is True
    patched = client.patch(f"/api/v1/shops/{world.shop.id}/items/{world.oil.id}", json={"stock": 50}, headers=headers)
    assert patched.status_code == 200
    assert body(patched)["stock"] == 50


def test_shopkeeper_cannot_touch_another_shops_items(client, world):
    other = make_shop(world.village, name="别家")
    item = make_item(other)
    headers = auth(world.keeper)
    assert (
        client.patch(f"/api/v1/shops/{other.id}/items/{item.id}", json={"stock": 1}, headers=headers).status_code == 404
    )
    assert (
        client.post(
            f"/api/v1/shops/{other.id}/items", json={"name": "x", "price_points": 1}, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.patch(f"/api/v1/shops/{world.shop.id}/items/{item.id}", json={"stock": 1}, headers=headers).status_code
        == 404
    )


def test_villager_cannot_add_items(client, world):
    response = client.post(
        f"/api/v1/shops/{world.shop.id}/items", json={"name": "x", "price_points": 1}, headers=auth(world.user)
    )
    assert response.status_code == 403


def test_item_with_bad_price_or_window_is_422(client, world):
    headers = auth(world.keeper)
    response = client.post(
        f"/api/v1/shops/{world.shop.id}/items", json={"name": "x", "price_points": 0}, headers=headers
    )
    assert response.status_code == 422
    assert "price_points" in body(response)["errors"]
    response = client.post(
        f"/api/v1/shops/{world.shop.id}/items",
        json={
            "name": "x",
            "price_points": 5,
            "active_from": "2026-12-01T00:00:00",
            "active_until": "2026-11-01T00:00:00",
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert "active_until" in body(response)["errors"]


def test_committee_suspends_a_shop_and_keeper_cannot(client, world):
    committee = make_staff("committee", village=world.village)
    response = client.patch(f"/api/v1/shops/{world.shop.id}", json={"status": "suspended"}, headers=auth(committee))
    assert response.status_code == 200
    assert body(response)["status"] == "suspended"
    assert (
        client.patch(
            f"/api/v1/shops/{world.shop.id}", json={"status": "active"}, headers=auth(world.keeper)
        ).status_code
        == 403
    )


def test_shop_qr_code_decodes_to_the_shop(client, world):
    import io

    import zxingcpp
    from PIL import Image

    png = client.get(f"/api/v1/shops/{world.shop.id}/qr.png", headers=auth(world.user))
    assert png.status_code == 200
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(png.get_data())))[0].text == f"VCSHOP:{world.shop.id}"


def test_keeper_of_town_wide_shop_is_scoped_to_it(client, app):
    town = make_town()
    shop = make_shop(None, town_id=town.id, name="镇供销社")
    keeper = make_shopkeeper(shop)
    assert [s["id"] for s in body(client.get("/api/v1/shops", headers=auth(keeper)))] == [shop.id]
