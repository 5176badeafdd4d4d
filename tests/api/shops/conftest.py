"""Helpers for the shop tests: redeem through the API with a fresh Idempotency-Key."""

import uuid

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import PayCode, Redemption, RewardItem
from backend.services.ledger.balances import villager_balance
from tests.factories import auth
from tests.shop_factories import ShopWorld


@pytest.fixture
def world(app):
    return ShopWorld(points=100)


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
