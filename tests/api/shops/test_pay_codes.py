"""Pay codes: format, lifetime, who gets one, the PNG, and a real decoder reading it."""

import io
import re
from datetime import datetime, timedelta

import zxingcpp
from PIL import Image

from backend import clock
from backend.extensions import db
from backend.models import PayCode, Villager
from backend.services.shops.pay_codes import token_hash
from tests.conftest import body
from tests.factories import auth, make_villager, make_villager_user
from tests.factories.shops import redeem


def test_pay_code_is_19_digits_valid_60_seconds_and_stored_hashed(client, world):
    response = client.post("/api/v1/me/pay-code", headers=auth(world.user))
    assert response.status_code == 201, response.get_json()
    data = body(response)
    assert re.fullmatch(r"[1-9][0-9]{18}", data["token"])
    expires = datetime.fromisoformat(data["expires_at"])
    assert timedelta(seconds=58) < expires - clock.now() <= timedelta(seconds=60)
    stored = db.session.query(PayCode).one()
    assert stored.token_hash == token_hash(data["token"])
    assert data["token"] not in stored.token_hash


def test_unbound_user_gets_no_pay_code(client, app):
    response = client.post("/api/v1/me/pay-code", headers=auth(make_villager_user()))
    assert response.status_code == 403
    assert body(response)["status"] == "not_bound"
    assert db.session.query(PayCode).count() == 0


def test_frozen_villager_gets_no_pay_code(client, world):
    db.session.get(Villager, world.villager.id).frozen = True
    db.session.commit()
    response = client.post("/api/v1/me/pay-code", headers=auth(world.user))
    assert response.status_code == 403
    assert body(response)["status"] == "redemption_blocked"
    assert "冻结" in body(response)["message"]


def test_staff_get_no_pay_code(client, world):
    assert client.post("/api/v1/me/pay-code", headers=auth(world.keeper)).status_code == 403


def test_issuing_pay_codes_is_rate_limited_per_user(client, world, app):
    headers = auth(world.user)
    limit = int(app.config["PAY_CODE_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        assert client.post("/api/v1/me/pay-code", headers=headers).status_code == 201
    response = client.post("/api/v1/me/pay-code", headers=headers)
    assert response.status_code == 429
    assert body(response)["status"] == "too_many_requests"
    neighbour = make_villager_user(make_villager(world.village, name="王五"))
    assert client.post("/api/v1/me/pay-code", headers=auth(neighbour)).status_code == 201


def test_png_decodes_with_zxing_and_the_shopkeeper_redeems_what_it_read(client, world):
    headers = auth(world.user)
    token = body(client.post("/api/v1/me/pay-code", headers=headers))["token"]
    png = client.get(f"/api/v1/me/pay-code.png?token={token}", headers=headers)
    assert png.status_code == 200
    assert png.mimetype == "image/png"
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.get_data())))
    assert len(results) == 1
    read = results[0].text
    assert read == token
    response = redeem(
        client, world.keeper, code=read, shop_id=world.shop.id, items=[{"item_id": world.soap.id, "quantity": 1}]
    )
    assert response.status_code == 201
    assert body(response)["balance_after"] == 90


def test_png_is_only_for_its_owner_and_only_while_live(client, world, monkeypatch):
    token = body(client.post("/api/v1/me/pay-code", headers=auth(world.user)))["token"]
    stranger = make_villager_user()
    assert client.get(f"/api/v1/me/pay-code.png?token={token}", headers=auth(stranger)).status_code == 404
    assert client.get("/api/v1/me/pay-code.png?token=123", headers=auth(world.user)).status_code == 404
    later = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.get(f"/api/v1/me/pay-code.png?token={token}", headers=auth(world.user))
    assert response.status_code == 404
    assert body(response)["status"] == "pay_code_unknown"


def test_png_without_token_is_422(client, world):
    response = client.get("/api/v1/me/pay-code.png", headers=auth(world.user))
    assert response.status_code == 422
    assert "token" in body(response)["errors"]
