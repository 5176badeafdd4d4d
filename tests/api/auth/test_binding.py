"""A villager links their WeChat account to their roster entry."""

from datetime import timedelta

from backend import clock
from tests.conftest import body
from tests.factories import auth, make_staff, make_village, make_villager, make_villager_user, new_id_number


def bind(client, user, **payload):
    return client.post("/api/v1/me/binding", json=payload, headers=auth(user))


def setup_villager(village_code="QT77"):
    village = make_village(code=village_code)
    id_number = new_id_number()
    villager = make_villager(village, name="李秀英", id_number=id_number)
    return village, villager, id_number


def test_villager_binds_with_village_code_name_and_last_six(client):
    _, villager, id_number = setup_villager()
    user = make_villager_user()
    response = bind(client, user, village_code="qt77", name=" 李 秀英", id_card_last6=id_number[-6:])
    assert response.status_code == 200, body(response)
    data = body(response)
    assert data["bound"] is True
    assert data["villager"]["id"] == villager.id
    assert data["villager"]["id_number"].startswith("330282********")


def test_wrong_details_say_how_many_tries_are_left_and_lock_after_five(client, monkeypatch):
    _, _, id_number = setup_villager()
    user = make_villager_user()
    for left in (4, 3, 2, 1):
        response = bind(client, user, village_code="QT77", name="李秀英", id_card_last6="000000")
        assert response.status_code == 422
        assert body(response)["status"] == "binding_mismatch"
        assert f"还可尝试 {left} 次" in body(response)["message"]
    locked = bind(client, user, village_code="QT77", name="李秀英", id_card_last6="000000")
    assert locked.status_code == 429 and body(locked)["status"] == "binding_locked"
    # Even the right answer is refused while locked ...
    right = bind(client, user, village_code="QT77", name="李秀英", id_card_last6=id_number[-6:])
    assert right.status_code == 429
    # ... and accepted once the lock has passed.
    later = clock.now() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert bind(client, user, village_code="QT77", name="李秀英", id_card_last6=id_number[-6:]).status_code == 200


def test_one_roster_entry_binds_one_wechat_account(client):
    _, _, id_number = setup_villager()
    first, second = make_villager_user(), make_villager_user()
    assert bind(client, first, village_code="QT77", name="李秀英", id_card_last6=id_number[-6:]).status_code == 200
    response = bind(client, second, village_code="QT77", name="李秀英", id_card_last6=id_number[-6:])
    assert response.status_code == 409
    assert body(response)["status"] == "villager_already_bound"


def test_already_bound_user_cannot_bind_again(client):
    _, villager, id_number = setup_villager()
    user = make_villager_user(villager)
    response = bind(client, user, village_code="QT77", name="李秀英", id_card_last6=id_number[-6:])
    assert response.status_code == 409 and body(response)["status"] == "already_bound"


def test_binding_needs_all_three_identity_fields_or_a_code(client):
    user = make_villager_user()
    response = bind(client, user, village_code="QT77", name="李秀英")
    assert response.status_code == 422
    assert body(response)["errors"] == {"id_card_last6": ["缺少必填字段。"]}
    both = bind(client, user, village_code="QT77", name="李秀英", id_card_last6="123456", binding_code="1234567890")
    assert both.status_code == 422


def test_committee_binding_code_binds_once_and_prints_as_qr(client):
    village, villager, _ = setup_villager()
    staff = make_staff("committee", village=village)
    issued = client.post(f"/api/v1/villagers/{villager.id}/binding-code", headers=auth(staff))
    assert issued.status_code == 201
    code = body(issued)["code"]
    png = client.get(body(issued)["png_url"], headers=auth(staff))
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    user = make_villager_user()
    assert bind(client, user, binding_code=code).status_code == 200
    reuse = bind(client, make_villager_user(), binding_code=code)
    assert reuse.status_code == 422 and body(reuse)["status"] == "binding_mismatch"


def test_expired_binding_code_is_refused(client, monkeypatch):
    village, villager, _ = setup_villager()
    staff = make_staff("committee", village=village)
    code = body(client.post(f"/api/v1/villagers/{villager.id}/binding-code", headers=auth(staff)))["code"]
    later = clock.now() + timedelta(days=8)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert body(bind(client, make_villager_user(), binding_code=code))["status"] == "binding_mismatch"


def test_rebinding_needs_the_committee_to_release_the_entry(client):
    village, villager, _ = setup_villager()
    staff = make_staff("committee", village=village)
    old_phone = make_villager_user(villager)
    assert client.delete(f"/api/v1/villagers/{villager.id}/binding", headers=auth(staff)).status_code == 204
    assert body(client.get("/api/v1/me", headers=auth(old_phone)))["bound"] is False
    code = body(client.post(f"/api/v1/villagers/{villager.id}/binding-code", headers=auth(staff)))["code"]
    assert bind(client, make_villager_user(), binding_code=code).status_code == 200


def test_committee_of_another_village_cannot_issue_codes(client):
    _, villager, _ = setup_villager()
    stranger = make_staff("committee", village=make_village())
    response = client.post(f"/api/v1/villagers/{villager.id}/binding-code", headers=auth(stranger))
    assert response.status_code == 404
