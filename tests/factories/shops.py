"""Factories for shops, reward items, shopkeepers, points and pay codes, and the redeem helper of the shop tests."""

import itertools
import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import PayCode, Redemption, RewardItem, Shop, ShopFunding, ShopOrder, User, Village, Villager
from backend.services.access import Caller
from backend.services.ledger.balances import villager_balance
from backend.services.ledger.postings import earn_points
from backend.services.shops.pay_codes import issue_pay_code
from tests.factories import auth, make_staff, make_village, make_villager, make_villager_user

_seq = itertools.count(1)


def make_shop(village: Village | None = None, *, town_id: int | None = None, name: str = "便民超市", **fields) -> Shop:
    """A shop of `village`, or a town-wide one when only `town_id` is given."""
    shop = Shop(
        town_id=village.town_id if village else town_id,
        village_id=village.id if village else None,
        name=name,
        status=fields.pop("status", "active"),
        **fields,
    )
    db.session.add(shop)
    db.session.commit()
    return shop


def make_item(
    shop: Shop, *, name: str | None = None, price: int = 10, stock: int | None = 1000, **fields
) -> RewardItem:
    item = RewardItem(
        shop_id=shop.id,
        village_id=shop.village_id,
        name=name or f"商品{next(_seq)}",
        price_points=price,
        stock=stock,
        is_active=fields.pop("is_active", True),
        **fields,
    )
    db.session.add(item)
    db.session.commit()
    return item


def make_shopkeeper(shop: Shop) -> User:
    village = db.session.get(Village, shop.village_id) if shop.village_id else None
    user = make_staff("shopkeeper", village=village, shop_id=shop.id)
    user.town_id = shop.town_id
    db.session.commit()
    return user


def give_points(villager: Villager, amount: int, *, expires_on: date = date(2099, 12, 31)) -> None:
    """Book an earning for `villager` through the ledger."""
    with write_transaction() as session:
        earn_points(
            session,
            villager_id=villager.id,
            village_id=villager.village_id,
            amount=amount,
            expires_on=expires_on,
            rule_code="TEST",
            rule_version=1,
            reason="测试入账",
            source_type="test",
            source_id=None,
            idempotency_key=f"test-earn:{uuid.uuid4()}",
        )


def new_pay_code(user: User) -> str:
    token, _expires = issue_pay_code(caller=Caller.of(user))
    return token


def set_funding(village: Village, *, budget: int | None, rate_e4: int = 1000) -> None:
    db.session.add(ShopFunding(village_id=village.id, yuan_per_point_e4=rate_e4, monthly_budget_points=budget))
    db.session.commit()


class ShopWorld:
    """A village with a shop, its keeper, two cheap items and a bound villager holding `points`."""

    def __init__(self, points: int = 100):
        self.village = make_village()
        self.shop = make_shop(self.village)
        self.keeper = make_shopkeeper(self.shop)
        self.soap = make_item(self.shop, name="肥皂", price=10, stock=1000)
        self.oil = make_item(self.shop, name="食用油", price=30, stock=5)
        self.villager = make_villager(self.village, name="李四")
        self.user = make_villager_user(self.villager)
        if points:
            give_points(self.villager, points)

    def code(self) -> str:
        return new_pay_code(self.user)


def shop_object_factories(marker: str) -> dict:
    """Path parameter -> a shop object in the authorization matrix's other village (names carry `marker`)."""

    def shop(world) -> Shop:
        if "shop" not in world.objects:
            world.objects["shop"] = make_shop(world.village, name=f"{marker}店", contact=marker).id
        return db.session.get(Shop, world.objects["shop"])

    def item(world) -> int:
        if "item" not in world.objects:
            world.objects["item"] = make_item(shop(world), name=f"{marker}商品").id
        return world.objects["item"]

    def redemption(world) -> int:
        if "redemption" not in world.objects:
            from backend.services.shops.redemption import redeem_points

            give_points(world.villager, 50)
            user = db.session.execute(select(User).where(User.villager_id == world.villager.id)).scalar_one()
            keeper = make_shopkeeper(shop(world))
            sale = redeem_points(
                caller=Caller.of(keeper),
                shop_id=shop(world).id,
                pay_code=new_pay_code(user),
                items=[{"item_id": item(world), "quantity": 1}],
            )
            world.objects["redemption"] = sale.id
        return world.objects["redemption"]

    def order(world) -> int:
        if "order" not in world.objects:
            villager = db.session.get(Villager, world.villager.id)
            user = db.session.execute(select(User).where(User.villager_id == villager.id)).scalar_one()
            placed = ShopOrder(
                village_id=villager.village_id,
                shop_id=shop(world).id,
                villager_id=villager.id,
                user_id=user.id,
                items=[{"item_id": item(world), "quantity": 1}],
                points=10,
                expires_at=clock.now() + timedelta(hours=1),
            )
            db.session.add(placed)
            db.session.commit()
            world.objects["order"] = placed.id
        return world.objects["order"]

    return {"shop_id": lambda world: shop(world).id, "item_id": item, "redemption_id": redemption, "order_id": order}


def redeem(client, keeper, *, code, shop_id, items, key=None, headers=None):
    headers = {**auth(keeper), "Idempotency-Key": key or str(uuid.uuid4()), **(headers or {})}
    return client.post(
        "/api/v1/redemptions", json={"pay_code": code, "shop_id": shop_id, "items": items}, headers=headers
    )


def state(world) -> dict:
    """What a failed request must leave untouched."""
    db.session.expire_all()
    return {
        "balance": villager_balance(db.session, world.villager.id),
        "stock": {i.id: i.stock for i in db.session.execute(select(RewardItem)).scalars()},
        "sales": db.session.execute(select(func.count(Redemption.id))).scalar(),
        "used_codes": db.session.execute(select(func.count(PayCode.id)).where(PayCode.used_at.is_not(None))).scalar(),
    }
