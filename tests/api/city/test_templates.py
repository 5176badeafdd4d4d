"""A city or town publishes versioned rule templates; villages adopt them with their own amounts, see what a new
version changes, and decide; towns see which village runs which version."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEntry
from tests.conftest import body
from tests.factories import auth
from tests.factories.city import points_template

ALLOWED = {"P04": {"min": 3, "max": 8}, "P02": {"min": 1, "max": 3}}
_keys = iter(range(10**6))


def _post(client, user, path, payload):
    return client.post(path, json=payload, headers={**auth(user), "Idempotency-Key": f"k{next(_keys)}"})


def _published_template(client, cities, *, owner=None, document=None, allowed=ALLOWED, code="CX-POINTS"):
    owner = owner or {"city_id": cities.city.id}
    template = _post(
        client,
        cities.city_admin,
        "/api/v1/rule-templates",
        {"kind": "points", "code": code, "name": "积分模板", **owner},
    )
    assert template.status_code == 201, body(template)
    version = _post(
        client,
        cities.city_admin,
        f"/api/v1/rule-templates/{template.get_json()['id']}/versions",
        {"document": document or points_template(), "allowed": allowed, "notes": "第一版"},
    )
    assert version.status_code == 201, body(version)
    published = client.post(
        f"/api/v1/rule-template-versions/{version.get_json()['id']}/publish", headers=auth(cities.city_admin)
    )
    assert published.status_code == 200, body(published)
    return template.get_json(), published.get_json()


def _adopt(client, user, village, version, **overrides):
    return _post(
        client,
        user,
        "/api/v1/rule-sets/from-template",
        {"village_id": village.id, "template_version_id": version["id"], **overrides},
    )


def test_city_publishes_a_template_with_golden_tests_and_committees_of_the_city_see_it(client, cities):
    template, version = _published_template(client, cities)
    assert version["status"] == "published" and version["version"] == 1
    assert version["document"]["kind"] == "points" and version["allowed"] == ALLOWED
    for user in (cities.cw1, cities.town_admin, cities.small_town_admin):
        assert [t["code"] for t in client.get("/api/v1/rule-templates", headers=auth(user)).get_json()] == ["CX-POINTS"]
    assert client.get("/api/v1/rule-templates", headers=auth(cities.other_cw)).get_json() == []
    assert client.get(f"/api/v1/rule-templates/{template['id']}", headers=auth(cities.other_cw)).status_code == 404
    assert db.session.execute(select(AuditEntry.action).where(AuditEntry.action == "rule_template.publish")).scalar()


def test_publishing_needs_passing_golden_tests_and_sound_ranges(client, cities):
    template = _post(
        client,
        cities.city_admin,
        "/api/v1/rule-templates",
        {"kind": "points", "code": "T1", "name": "t", "city_id": cities.city.id},
    ).get_json()
    path = f"/api/v1/rule-templates/{template['id']}/versions"
    broken = points_template()
    broken["golden_tests"][0]["expect"] = {"points": 999}
    failing = _post(client, cities.city_admin, path, {"document": broken, "allowed": {}}).get_json()
    refused = client.post(f"/api/v1/rule-template-versions/{failing['id']}/publish", headers=auth(cities.city_admin))
    assert refused.status_code == 422 and body(refused)["status"] == "golden_tests_failed"
    none = _post(
        client, cities.city_admin, path, {"document": points_template(golden_tests=[]), "allowed": {}}
    ).get_json()
    assert (
        client.post(f"/api/v1/rule-template-versions/{none['id']}/publish", headers=auth(cities.city_admin)).status_code
        == 422
    )
    bad_ranges = {"P04": {"min": 6, "max": 8}, "P01": {"min": 1, "max": 5}, "ZZ9": {"min": 1, "max": 2}}
    ranged = _post(client, cities.city_admin, path, {"document": points_template(), "allowed": bad_ranges}).get_json()
    check = client.post(f"/api/v1/rule-template-versions/{ranged['id']}/validate", headers=auth(cities.city_admin))
    assert check.get_json()["valid"] is False and set(check.get_json()["allowed_errors"]) == {"P04", "P01", "ZZ9"}
    refused = client.post(f"/api/v1/rule-template-versions/{ranged['id']}/publish", headers=auth(cities.city_admin))
    assert refused.status_code == 422 and body(refused)["status"] == "allowed_ranges_invalid"


def test_only_the_owners_admins_manage_a_template(client, cities):
    template, version = _published_template(client, cities)
    for user in (cities.town_admin, cities.cw1, cities.other_cw):
        response = _post(client, user, f"/api/v1/rule-templates/{template['id']}/versions", {})
        assert response.status_code in (403, 404), user.role
    town_template = _post(
        client,
        cities.town_admin,
        "/api/v1/rule-templates",
        {"kind": "credit", "code": "QT-C", "name": "镇信用", "town_id": cities.town.id},
    )
    assert town_template.status_code == 201
    other_town = _post(
        client,
        cities.town_admin,
        "/api/v1/rule-templates",
        {"kind": "credit", "code": "GH-C", "name": "x", "town_id": cities.small_town.id},
    )
    assert other_town.status_code == 404
    assert (
        client.patch(
            f"/api/v1/rule-template-versions/{version['id']}", json={"notes": "x"}, headers=auth(cities.city_admin)
        ).status_code
        == 409
    )


def test_village_adopts_with_its_own_amount_and_an_extra_rule_then_publishes_with_four_eyes(client, cities):
    _template, version = _published_template(client, cities)
    extra = dict(points_template()["rules"][1], code="X01", title="村自定：参加村民议事会")
    adopted = _adopt(client, cities.cw1, cities.villages[0], version, amounts={"P04": 7}, extra_rules=[extra])
    assert adopted.status_code == 201, body(adopted)
    draft = adopted.get_json()["rule_set"]
    rules = {r["code"]: r for r in draft["document"]["rules"]}
    assert rules["P04"]["effect"]["amount"] == 7 and "X01" in rules and draft["status"] == "draft"
    assert draft["template_version_id"] == version["id"] and draft["overrides"]["amounts"] == {"P04": 7}
    assert adopted.get_json()["dropped_golden_tests"] == ["志愿服务 5 小时得 4 积分，巡逻得 5 积分"]
    publish = {"effective_from": "2026-01-01"}
    own = client.post(f"/api/v1/rule-sets/{draft['id']}/publish", json=publish, headers=auth(cities.cw1))
    assert own.status_code == 403 and body(own)["status"] == "four_eyes_required"
    assert (
        client.post(f"/api/v1/rule-sets/{draft['id']}/publish", json=publish, headers=auth(cities.cw2)).status_code
        == 200
    )


def test_amounts_outside_the_allowed_range_or_not_adjustable_are_refused(client, cities):
    _template, version = _published_template(client, cities)
    cases = [
        ({"amounts": {"P04": 9}}, "amounts"),
        ({"amounts": {"P01": 3}}, "amounts"),
        ({"amounts": {"NOPE": 3}}, "amounts"),
        ({"extra_rules": [dict(points_template()["rules"][0])]}, "extra_rules"),
    ]
    for payload, field in cases:
        refused = _adopt(client, cities.cw1, cities.villages[0], version, **payload)
        assert refused.status_code == 422 and body(refused)["status"] == "overrides_invalid", payload
        assert field in body(refused)["errors"]
    strict = _adopt(client, cities.cw1, cities.villages[0], version, amounts={"P04": 5.5})
    assert strict.status_code == 422


def test_villages_outside_the_templates_city_cannot_adopt_it(client, cities):
    _template, version = _published_template(client, cities)
    assert _adopt(client, cities.other_cw, cities.other_village, version).status_code == 404
    assert _adopt(client, cities.cw1, cities.other_village, version).status_code == 404
    _town_template, town_version = _published_template(
        client, cities, owner={"town_id": cities.small_town.id}, code="GHW-POINTS"
    )
    assert _adopt(client, cities.cw1, cities.villages[0], town_version).status_code == 404


def _publish_adopted(client, cities, version, village, amounts):
    draft = _adopt(client, cities.cw1, village, version, amounts=amounts).get_json()["rule_set"]
    assert (
        client.post(
            f"/api/v1/rule-sets/{draft['id']}/publish", json={"effective_from": "2026-01-01"}, headers=auth(cities.cw2)
        ).status_code
        == 200
    )


def _second_version(client, cities, template):
    document = points_template()
    document["rules"][1]["effect"]["amount"] = 3  # P02 votes earn 3
    document["golden_tests"] = [t for t in document["golden_tests"] if "到期" not in t["name"]]
    document["rules"].append(dict(document["rules"][2], code="P07", title="参加防诈骗知识讲座"))
    allowed = {**ALLOWED, "P02": {"min": 2, "max": 4}}
    version = _post(
        client,
        cities.city_admin,
        f"/api/v1/rule-templates/{template['id']}/versions",
        {"document": document, "allowed": allowed, "notes": "投票加分提高"},
    ).get_json()
    published = client.post(f"/api/v1/rule-template-versions/{version['id']}/publish", headers=auth(cities.city_admin))
    assert published.status_code == 200, body(published)
    return published.get_json()


def test_a_new_version_shows_each_village_the_difference_and_it_decides(client, cities):
    template, v1 = _published_template(client, cities)
    _publish_adopted(client, cities, v1, cities.villages[0], {"P02": 1})
    v2 = _second_version(client, cities, template)
    updates = client.get(
        f"/api/v1/villages/{cities.villages[0].id}/template-updates", headers=auth(cities.cw1)
    ).get_json()
    assert [(u["from_version"], u["to_version"]) for u in updates] == [(1, 2)]
    diff = updates[0]["diff"]
    assert [r["code"] for r in diff["added"]] == ["P07"]
    assert diff["changed"][0]["code"] == "P02" and diff["changed"][0]["fields"]["effect"]["to"]["amount"] == 3
    assert updates[0]["overrides_fit"] is False and "P02" in updates[0]["problems"]["amounts"]
    declined = client.post(
        f"/api/v1/villages/{cities.villages[0].id}/template-updates/{v2['id']}/decline",
        json={"note": "本村维持投票 1 分"},
        headers=auth(cities.cw1),
    )
    assert declined.status_code == 201
    assert (
        client.get(f"/api/v1/villages/{cities.villages[0].id}/template-updates", headers=auth(cities.cw1)).get_json()
        == []
    )
    diff_view = client.get(f"/api/v1/rule-template-versions/{v2['id']}/diff", headers=auth(cities.cw1)).get_json()
    assert diff_view["from_version"] == 1 and diff_view["to_version"] == 2


def test_town_sees_which_village_runs_which_version(client, cities):
    template, v1 = _published_template(client, cities)
    _publish_adopted(client, cities, v1, cities.villages[0], {})
    _second_version(client, cities, template)
    rows = client.get(f"/api/v1/rule-templates/{template['id']}/adoption", headers=auth(cities.town_admin)).get_json()
    states = {(r["village_code"], r["template_version"], r["latest_version"], r["state"]) for r in rows["villages"]}
    assert states == {("QT01", 1, 2, "behind"), ("QT02", None, 2, "no_rules")}
    city_rows = client.get(
        f"/api/v1/rule-templates/{template['id']}/adoption", headers=auth(cities.city_admin)
    ).get_json()
    assert [r["village_code"] for r in city_rows["villages"]] == ["GHW01", "QT01", "QT02"]
    assert client.get(f"/api/v1/rule-templates/{template['id']}/adoption", headers=auth(cities.cw1)).status_code == 403
