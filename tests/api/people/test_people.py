"""Committees keep their roster; town admins run their villages."""

from backend.extensions import db
from backend.models import AuditEntry
from tests.conftest import body
from tests.factories import auth, make_household, make_staff, make_town, make_village, make_villager, new_id_number


def test_committee_adds_a_villager_and_derives_birth_date_and_sex_from_the_id(client):
    village = make_village()
    staff = make_staff("committee", village=village)
    household = make_household(village)
    from datetime import date

    id_number = new_id_number(date(1975, 3, 9), female=True)
    response = client.post(
        "/api/v1/villagers",
        json={
            "village_id": village.id,
            "name": "陈美",
            "id_number": id_number.lower(),
            "phone": "139-1234-5678",
            "household_id": household.id,
            "relation": "户主",
            "is_head": True,
        },
        headers=auth(staff),
    )
    assert response.status_code == 201, body(response)
    data = body(response)
    assert (data["sex"], data["birth_date"]) == ("女", "1975-03-09")
    assert data["phone"] == "139****5678"
    assert data["id_number"] == id_number[:6] + "********" + id_number[-4:]


def test_bad_id_number_is_refused_with_the_reason(client):
    village = make_village()
    response = client.post(
        "/api/v1/villagers",
        json={"village_id": village.id, "name": "王五", "id_number": "330282198001010000"},
        headers=auth(make_staff("committee", village=village)),
    )
    assert response.status_code == 422
    assert "id_number" in body(response)["errors"]


def test_same_person_twice_in_a_village_is_a_conflict(client):
    village = make_village()
    staff = make_staff("committee", village=village)
    id_number = new_id_number()
    payload = {"village_id": village.id, "name": "王五", "id_number": id_number}
    assert client.post("/api/v1/villagers", json=payload, headers=auth(staff)).status_code == 201
    again = client.post("/api/v1/villagers", json=payload, headers=auth(staff))
    assert again.status_code == 409


def test_household_of_another_village_cannot_be_assigned(client):
    village, other = make_village(), make_village()
    response = client.post(
        "/api/v1/villagers",
        json={
            "village_id": village.id,
            "name": "王五",
            "id_number": new_id_number(),
            "household_id": make_household(other).id,
        },
        headers=auth(make_staff("committee", village=village)),
    )
    assert response.status_code == 422
    assert "household_id" in body(response)["errors"]


def test_edit_is_audited_with_before_and_after_without_numbers(client):
    village = make_village()
    staff = make_staff("committee", village=village)
    villager = make_villager(village, name="赵六")
    response = client.patch(
        f"/api/v1/villagers/{villager.id}", json={"name": "赵六六", "phone": "13700001111"}, headers=auth(staff)
    )
    assert response.status_code == 200
    assert body(response)["phone"] == "137****1111"
    entry = db.session.query(AuditEntry).filter_by(action="villager.update").one()
    assert (entry.before["name"], entry.after["name"]) == ("赵六", "赵六六")
    assert entry.actor_id == staff.id
    assert "id_number_cipher" not in entry.after
    log = body(client.get("/api/v1/audit-log", headers=auth(staff)))
    assert log["items"][0]["action"] == "villager.update"


def test_clients_cannot_set_fields_they_do_not_own(client):
    village = make_village()
    villager = make_villager(village)
    response = client.patch(
        f"/api/v1/villagers/{villager.id}",
        json={"village_id": 999, "id_number_masked": "x"},
        headers=auth(make_staff("committee", village=village)),
    )
    assert response.status_code == 422
    assert set(body(response)["errors"]) == {"village_id", "id_number_masked"}


def test_roster_search_by_name_and_by_whole_id_number(client):
    village = make_village()
    staff = make_staff("committee", village=village)
    wanted_id = new_id_number()
    make_villager(village, name="孙悟空", id_number=wanted_id)
    make_villager(village, name="猪八戒")
    by_name = body(client.get("/api/v1/villagers", query_string={"q": "悟空"}, headers=auth(staff)))
    assert [v["name"] for v in by_name["items"]] == ["孙悟空"]
    by_id = body(client.get("/api/v1/villagers", query_string={"q": wanted_id}, headers=auth(staff)))
    assert [v["name"] for v in by_id["items"]] == ["孙悟空"]


def test_roster_pages_with_a_cursor(client):
    village = make_village()
    staff = make_staff("committee", village=village)
    for n in range(5):
        make_villager(village, name=f"村民{n}")
    first = body(client.get("/api/v1/villagers", query_string={"limit": 2}, headers=auth(staff)))
    assert len(first["items"]) == 2
    second = body(
        client.get("/api/v1/villagers", query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=auth(staff))
    )
    third = body(
        client.get("/api/v1/villagers", query_string={"limit": 2, "cursor": second["next_cursor"]}, headers=auth(staff))
    )
    names = [v["name"] for page in (first, second, third) for v in page["items"]]
    assert names == [f"村民{n}" for n in range(5)]
    assert third["next_cursor"] is None


def test_garbled_cursor_is_a_clear_422(client):
    village = make_village()
    response = client.get(
        "/api/v1/villagers", query_string={"cursor": "!!"}, headers=auth(make_staff("committee", village=village))
    )
    assert response.status_code == 422
    assert "cursor" in body(response)["errors"]


def test_town_admin_creates_villages_only_in_their_town(client):
    town, other = make_town(), make_town()
    admin = make_staff("town_admin", town=town)
    ok = client.post(
        "/api/v1/villages", json={"town_id": town.id, "code": "NEW01", "name": "新村"}, headers=auth(admin)
    )
    assert ok.status_code == 201
    refused = client.post(
        "/api/v1/villages", json={"town_id": other.id, "code": "NEW02", "name": "外村"}, headers=auth(admin)
    )
    assert refused.status_code == 404
    duplicate = client.post(
        "/api/v1/villages", json={"town_id": town.id, "code": "NEW01", "name": "重复"}, headers=auth(admin)
    )
    assert duplicate.status_code == 409


def test_committee_cannot_create_villages_or_towns(client):
    village = make_village()
    staff = make_staff("committee", village=village)
    assert (
        client.post(
            "/api/v1/villages", json={"town_id": village.town_id, "code": "X1", "name": "x"}, headers=auth(staff)
        ).status_code
        == 403
    )
    assert client.post("/api/v1/towns", json={"code": "X1", "name": "x"}, headers=auth(staff)).status_code == 403


def test_admin_creates_a_town(client):
    response = client.post("/api/v1/towns", json={"code": "ZZ", "name": "新镇"}, headers=auth(make_staff("admin")))
    assert response.status_code == 201
    assert body(response)["code"] == "ZZ"


def test_households_are_listed_and_edited_within_the_village(client):
    village = make_village()
    staff = make_staff("committee", village=village)
    created = client.post("/api/v1/households", json={"village_id": village.id, "code": "H9"}, headers=auth(staff))
    assert created.status_code == 201
    household_id = body(created)["id"]
    patched = client.patch(f"/api/v1/households/{household_id}", json={"address": "东村 9 号"}, headers=auth(staff))
    assert body(patched)["address"] == "东村 9 号"
    listed = body(client.get("/api/v1/households", query_string={"village_id": village.id}, headers=auth(staff)))
    assert [h["code"] for h in listed["items"]] == ["H9"]
