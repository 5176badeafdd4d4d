"""Credit drafts through the shared rule-set API: simulate over the village, four eyes, golden tests."""

from tests.api.credit.helpers import record_violation
from tests.conftest import body
from tests.factories import auth
from tests.factories.credit import credit_document


def _draft(client, world, document, user=None):
    response = client.post(
        "/api/v1/rule-sets",
        json={"village_id": world.village.id, "kind": "credit", "document": document},
        headers=auth(user or world.cw1),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return body(response)


def test_simulation_shows_each_persons_change_levels_fires_and_golden_results(client, world, frozen):
    for day in ("2026-03-01", "2026-03-02"):
        record_violation(client, world, rule_code="R02", occurred_on=day)
    record_violation(client, world, villager=world.neighbour, rule_code="R01", occurred_on="2026-03-01")
    frozen.advance(days=7)
    document = credit_document()
    r02 = next(rule for rule in document["rules"] if rule["code"] == "R02")
    r02["effect"]["amount"] = -30
    r02["cap"]["amount"] = 60
    document["golden_tests"] = [t for t in document["golden_tests"] if "乱倒垃圾" not in t["name"]]
    draft = _draft(client, world, document)

    response = client.post(f"/api/v1/rule-sets/{draft['id']}/simulate", headers=auth(world.cw2))
    assert response.status_code == 200, response.get_data(as_text=True)
    result = body(response)
    people = {person["name"]: person for person in result["people"]}
    assert people["王大明"] == {
        "villager_id": world.villager.id,
        "name": "王大明",
        "old_score": 990,
        "old_level": "A",
        "new_score": 940,
        "new_level": "B",
        "delta": -50,
    }
    assert (people["李秀英"]["delta"], people["李秀英"]["new_level"]) == (0, "A")
    assert result["level_matrix"] == {"A": {"B": 1, "A": 1}}
    assert result["rule_fires"] == {"R01": {"count": 1, "total": -50}, "R02": {"count": 2, "total": -60}}
    assert "H41" in result["silent_rules"] and "R02" not in result["silent_rules"]
    assert result["golden"] and all(test["passed"] for test in result["golden"])
    assert (result["draft_version"], result["published_version"]) == (2, 1)
    assert result["summary"]["level_changed"] == 1


def test_simulation_refusals(client, world):
    points = client.post(
        "/api/v1/rule-sets",
        json={"village_id": world.village.id, "kind": "points", "document": {"kind": "points", "name": "x"}},
        headers=auth(world.cw1),
    )
    refused = client.post(f"/api/v1/rule-sets/{body(points)['id']}/simulate", headers=auth(world.cw1))
    assert (refused.status_code, body(refused)["status"]) == (422, "not_credit_rule_set")

    broken = credit_document()
    broken["levels"] = []
    draft = _draft(client, world, broken)
    invalid = client.post(f"/api/v1/rule-sets/{draft['id']}/simulate", headers=auth(world.cw1))
    assert (invalid.status_code, body(invalid)["status"]) == (422, "rule_set_invalid")
    assert client.post(f"/api/v1/rule-sets/{draft['id']}/simulate", headers=auth(world.other_cw)).status_code == 404
    assert client.post(f"/api/v1/rule-sets/{draft['id']}/simulate", headers=auth(world.user)).status_code == 403


def test_credit_draft_needs_another_publisher_and_passing_golden_tests(client, world):
    document = credit_document()
    next(rule for rule in document["rules"] if rule["code"] == "R02")["effect"][
        "amount"
    ] = -3  # 5 x 3 < the cap: the golden expects 980
    draft = _draft(client, world, document)
    url = f"/api/v1/rule-sets/{draft['id']}/publish"
    own = client.post(url, json={"effective_from": "2026-04-01"}, headers=auth(world.cw1))
    assert (own.status_code, body(own)["status"]) == (403, "four_eyes_required")
    golden = client.post(url, json={"effective_from": "2026-04-01"}, headers=auth(world.cw2))
    assert (golden.status_code, body(golden)["status"]) == (422, "golden_tests_failed")

    fine = _draft(client, world, credit_document())
    published = client.post(
        f"/api/v1/rule-sets/{fine['id']}/publish", json={"effective_from": "2026-04-01"}, headers=auth(world.cw2)
    )
    assert (published.status_code, body(published)["status"]) == (200, "published")
