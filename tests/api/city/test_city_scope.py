"""The city level: a city admin sees the towns and villages of their city, and nothing of another city."""

from types import SimpleNamespace

from backend.extensions import db
from backend.models import AuditEntry
from tests.factories import auth, make_staff, make_town, make_village
from tests.factories.city import make_city, make_city_admin


def _two_cities():
    ours = [make_town(code="CT1"), make_town(code="CT2")]
    villages = [make_village(ours[0], code="CT101"), make_village(ours[1], code="CT201")]
    city = make_city(*ours, code="CX", name="慈溪市")
    other_town = make_town(code="YY1")
    other_village = make_village(other_town, code="YY101")
    make_city(other_town, code="YY", name="余姚市")
    return SimpleNamespace(city=city, towns=ours, villages=villages, other_village=other_village)


def test_city_admin_lists_the_towns_and_villages_of_their_city_only(client):
    world = _two_cities()
    admin = make_city_admin(world.city)
    listed_towns = client.get("/api/v1/towns", headers=auth(admin)).get_json()
    assert {t["id"] for t in listed_towns} == {t.id for t in world.towns}
    assert {t["city_id"] for t in listed_towns} == {world.city.id}
    listed = client.get("/api/v1/villages", headers=auth(admin)).get_json()
    assert {v["id"] for v in listed} == {v.id for v in world.villages}
    assert client.get(f"/api/v1/villages/{world.villages[1].id}", headers=auth(admin)).status_code == 200
    assert client.get(f"/api/v1/villages/{world.other_village.id}", headers=auth(admin)).status_code == 404
    cities = client.get("/api/v1/cities", headers=auth(admin)).get_json()
    assert [c["code"] for c in cities] == ["CX"]


def test_city_admin_reads_the_audit_log_of_their_city_only(client):
    world = _two_cities()
    for village in (world.villages[0], world.other_village):
        db.session.add(AuditEntry(village_id=village.id, action="x.test", entity_type="villages", entity_id=village.id))
    db.session.commit()
    page = client.get("/api/v1/audit-log", headers=auth(make_city_admin(world.city))).get_json()
    assert [e["village_id"] for e in page["items"]] == [world.villages[0].id]


def test_city_admin_cannot_do_village_work_or_create_towns(client):
    world = _two_cities()
    villages = world.villages
    headers = auth(make_city_admin(world.city))
    assert client.post("/api/v1/towns", json={"code": "NEW", "name": "新镇"}, headers=headers).status_code == 403
    created = client.post("/api/v1/households", json={"village_id": villages[0].id, "code": "H1"}, headers=headers)
    assert created.status_code == 403
    assert client.get(f"/api/v1/villagers?village_id={villages[0].id}", headers=headers).status_code == 403


def test_town_admin_sees_neither_cities_nor_other_towns_of_the_city(client):
    world = _two_cities()
    admin = make_staff("town_admin", town=world.towns[0])
    assert client.get("/api/v1/cities", headers=auth(admin)).status_code == 403
    assert [t["id"] for t in client.get("/api/v1/towns", headers=auth(admin)).get_json()] == [world.towns[0].id]


def test_admin_creates_a_city_and_a_town_in_it(client):
    admin = make_staff("admin")
    city = client.post("/api/v1/cities", json={"code": "CX", "name": "慈溪市"}, headers=auth(admin))
    assert city.status_code == 201
    town = client.post(
        "/api/v1/towns", json={"code": "GHW", "name": "观海卫镇", "city_id": city.get_json()["id"]}, headers=auth(admin)
    )
    assert town.status_code == 201 and town.get_json()["city_id"] == city.get_json()["id"]
    again = client.post("/api/v1/cities", json={"code": "CX", "name": "重复"}, headers=auth(admin))
    assert again.status_code == 409
    unknown = client.post("/api/v1/towns", json={"code": "ZZ", "name": "无市镇", "city_id": 999}, headers=auth(admin))
    assert unknown.status_code == 422 and "city_id" in unknown.get_json()["errors"]


def test_a_city_admin_without_a_city_sees_no_town_at_all(client):
    make_town(code="LONE")  # a town that belongs to no city
    admin = make_staff("city_admin")
    assert client.get("/api/v1/towns", headers=auth(admin)).get_json() == []
    assert client.get("/api/v1/villages", headers=auth(admin)).get_json() == []
