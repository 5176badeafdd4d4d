"""Idempotency-Key on redemptions: Stripe semantics, scoped to the caller."""

from datetime import timedelta

from sqlalchemy import func, select

from backend import clock
from backend.api.idempotency import request_fingerprint
from backend.extensions import db
from backend.models import IdempotencyKey, Redemption
from backend.services.idempotency import purge_expired_keys
from tests.conftest import body
from tests.factories import auth
from tests.factories.shops import make_shop, make_shopkeeper, redeem, state


def _sales() -> int:
    return db.session.execute(select(func.count(Redemption.id))).scalar()


def test_missing_key_is_400_and_nothing_happens(client, world):
    before = state(world)
    response = client.post(
        "/api/v1/redemptions",
        json={"pay_code": world.code(), "shop_id": world.shop.id, "items": [{"item_id": world.soap.id, "quantity": 1}]},
        headers=auth(world.keeper),
    )
    assert response.status_code == 400
    assert body(response)["status"] == "idempotency_key_missing"
    assert state(world) == before


def test_retry_with_same_key_and_body_replays_the_first_answer(client, world):
    code, line = world.code(), [{"item_id": world.soap.id, "quantity": 1}]
    first = redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line, key="scan-1")
    again = redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line, key="scan-1")
    assert first.status_code == again.status_code == 201
    assert body(again) == body(first)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _sales() == 1
    assert state(world)["balance"] == 90


def test_a_refusal_is_replayed_too(client, world):
    line = [{"item_id": world.oil.id, "quantity": 4}]
    code = world.code()
    first = redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line, key="k")
    again = redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line, key="k")
    assert first.status_code == again.status_code == 409
    assert body(again) == body(first)


def test_same_key_with_another_body_is_409(client, world):
    code = world.code()
    redeem(
        client,
        world.keeper,
        code=code,
        shop_id=world.shop.id,
        items=[{"item_id": world.soap.id, "quantity": 1}],
        key="k",
    )
    before = state(world)
    response = redeem(
        client,
        world.keeper,
        code=code,
        shop_id=world.shop.id,
        items=[{"item_id": world.soap.id, "quantity": 2}],
        key="k",
    )
    assert response.status_code == 409
    assert body(response)["status"] == "idempotency_key_reused"
    assert state(world) == before


def test_key_still_running_is_409(client, world, app):
    payload = {"pay_code": world.code(), "shop_id": world.shop.id, "items": [{"item_id": world.soap.id, "quantity": 1}]}
    with app.test_request_context("/api/v1/redemptions", method="POST", json=payload):
        fingerprint = request_fingerprint()
    db.session.add(IdempotencyKey(user_id=world.keeper.id, key="busy", fingerprint=fingerprint))
    db.session.commit()
    before = state(world)
    response = redeem(
        client, world.keeper, key="busy", code=payload["pay_code"], shop_id=world.shop.id, items=payload["items"]
    )
    assert response.status_code == 409
    assert body(response)["status"] == "idempotency_key_in_use"
    assert state(world) == before


def test_keys_are_scoped_to_the_caller(client, world):
    town_keeper = make_shopkeeper(make_shop(world.village, name="第二家"))
    line = [{"item_id": world.soap.id, "quantity": 1}]
    assert (
        redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=line, key="same").status_code
        == 201
    )
    # The same key from another shopkeeper is a new request of theirs (refused here as another shop's sale).
    response = redeem(client, town_keeper, code=world.code(), shop_id=world.shop.id, items=line, key="same")
    assert response.status_code == 403
    assert body(response)["status"] == "not_your_shop"


def test_answers_are_kept_a_day_then_the_key_is_new_again(client, world, monkeypatch):
    line = [{"item_id": world.soap.id, "quantity": 1}]
    redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=line, key="old")
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=23, minutes=59))
    assert purge_expired_keys() == 0
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=24, minutes=1))
    assert purge_expired_keys() == 1
    response = redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=line, key="old")
    assert response.status_code == 201
    assert _sales() == 2


def test_operators_purge_old_keys_from_the_command_line(app, client, world, monkeypatch):
    line = [{"item_id": world.soap.id, "quantity": 1}]
    redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=line, key="old")
    start = clock.now()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["points", "purge-keys"]).output == "purged 0 idempotency keys\n"
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=25))
    assert runner.invoke(args=["points", "purge-keys"]).output == "purged 1 idempotency keys\n"
    assert db.session.execute(select(func.count(IdempotencyKey.id))).scalar() == 0


def test_the_first_answer_is_kept_with_the_sale_and_replayed_byte_for_byte(client, world):
    line = [{"item_id": world.soap.id, "quantity": 1}]
    code = world.code()
    first = redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line, key="k1")
    kept = db.session.execute(select(IdempotencyKey).where(IdempotencyKey.key == "k1")).scalar_one()
    assert (kept.response_status, kept.response_body) == (201, first.get_data(as_text=True))
    again = redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line, key="k1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    assert _sales() == 1


def test_a_failure_after_the_sale_leaves_neither_the_sale_nor_the_key(client, world, monkeypatch):
    """The sale, the claim of its key and the answer commit together: a crash while answering undoes all three."""
    from backend.api.shops.schemas import ReceiptOut

    line = [{"item_id": world.soap.id, "quantity": 1}]
    code, before = world.code(), state(world)

    def crash(self, obj, **kwargs):
        raise RuntimeError("the worker died while rendering the receipt")

    monkeypatch.setattr(ReceiptOut, "dump", crash)
    failed = redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line, key="k")
    assert failed.status_code == 500
    assert state(world) == before
    assert db.session.execute(select(func.count(IdempotencyKey.id))).scalar() == 0
    monkeypatch.undo()
    retried = redeem(client, world.keeper, code=code, shop_id=world.shop.id, items=line, key="k")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert state(world)["balance"] == 90


def test_a_key_longer_than_255_characters_is_refused(client, world):
    line = [{"item_id": world.soap.id, "quantity": 1}]
    response = redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=line, key="k" * 256)
    assert response.status_code == 422
    assert body(response)["errors"] == {"Idempotency-Key": ["Idempotency-Key 太长（最多 255 个字符）。"]}
    assert (
        redeem(client, world.keeper, code=world.code(), shop_id=world.shop.id, items=line, key="k" * 255).status_code
        == 201
    )
