"""Rule sets: drafting, validation naming rule and field, four-eyes publishing, golden tests, versions in force."""

from datetime import date

from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEntry, RuleSet
from backend.services.rulesets.versions import get_rule_set_in_force
from tests.conftest import body
from tests.factories import auth, make_staff, make_town, make_village
from tests.factories.activities import make_rule_set, points_document


def _draft(client, world, user=None, **payload):
    payload = {"village_id": world.village.id, "kind": "points", **payload}
    return client.post("/api/v1/rule-sets", json=payload, headers=auth(user or world.cw1))


def test_committee_drafts_from_published_and_colleague_publishes(client, world):
    draft = _draft(client, world)
    assert draft.status_code == 201, draft.get_data(as_text=True)
    data = body(draft)
    assert (data["version"], data["status"], data["document"]["version"]) == (2, "draft", 2)
    document = data["document"]
    document["rules"][1]["effect"]["amount"] = 3  # 民主评议 +3 instead of +2
    patched = client.patch(f"/api/v1/rule-sets/{data['id']}", json={"document": document}, headers=auth(world.cw1))
    assert patched.status_code == 200
    check = body(client.post(f"/api/v1/rule-sets/{data['id']}/validate", headers=auth(world.cw1)))
    assert check["valid"] is True and all(test["passed"] for test in check["golden_tests"])

    published = client.post(
        f"/api/v1/rule-sets/{data['id']}/publish", json={"effective_from": "2026-04-01"}, headers=auth(world.cw2)
    )
    assert published.status_code == 200, published.get_data(as_text=True)
    assert body(published)["status"] == "published"
    assert body(published)["document"]["effective_from"] == "2026-04-01"
    listed = body(client.get(f"/api/v1/rule-sets?village_id={world.village.id}&kind=points", headers=auth(world.cw1)))
    assert [(item["version"], item["status"], item["superseded_on"]) for item in listed["items"]] == [
        (2, "published", None),
        (1, "superseded", "2026-04-01"),
    ]
    actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.entity_type == "rule_sets")).scalars()
    assert list(actions) == ["rule_set.draft", "rule_set.update", "rule_set.publish"]


def test_drafter_cannot_publish_own_draft(client, world):
    draft = body(_draft(client, world))
    response = client.post(
        f"/api/v1/rule-sets/{draft['id']}/publish", json={"effective_from": "2026-04-01"}, headers=auth(world.cw1)
    )
    assert response.status_code == 403
    assert body(response) == {
        "code": 403,
        "status": "four_eyes_required",
        "message": "起草人不能发布自己起草的规则集，须由另一位村委成员或镇管理员发布。",
        "errors": {},
    }


def test_colleague_who_edits_a_draft_becomes_its_drafter(client, world):
    draft = body(_draft(client, world))
    client.patch(f"/api/v1/rule-sets/{draft['id']}", json={"document": draft["document"]}, headers=auth(world.cw2))
    response = client.post(
        f"/api/v1/rule-sets/{draft['id']}/publish", json={"effective_from": "2026-04-01"}, headers=auth(world.cw2)
    )
    assert body(response)["status"] == "four_eyes_required"
    ok = client.post(
        f"/api/v1/rule-sets/{draft['id']}/publish", json={"effective_from": "2026-04-01"}, headers=auth(world.cw1)
    )
    assert ok.status_code == 200


def test_validation_errors_name_the_rule_and_field(client, world):
    document = points_document()
    document["rules"][1]["effect"]["amount"] = 0
    document["rules"][2]["cap"] = None
    draft = body(_draft(client, world, document=document))
    check = body(client.post(f"/api/v1/rule-sets/{draft['id']}/validate", headers=auth(world.cw1)))
    assert check["valid"] is False
    assert check["errors"]["rules"]["1"]["effect"] == {"amount": ["规则 P02：分值不能为 0"]}
    assert check["errors"]["rules"]["2"]["cap"] == ["规则 P03：加分项必须设置上限"]
    assert check["golden_tests"] == []

    response = client.post(
        f"/api/v1/rule-sets/{draft['id']}/publish", json={"effective_from": "2026-04-01"}, headers=auth(world.cw2)
    )
    assert response.status_code == 422
    refused = body(response)
    assert (refused["status"], refused["message"]) == (
        "rule_set_invalid",
        "规则集校验未通过，请按标出的规则和字段修改。",
    )
    assert refused["errors"]["rules"]["1"]["effect"] == {"amount": ["规则 P02：分值不能为 0"]}


def test_failing_golden_tests_block_publishing(client, world):
    document = points_document()
    document["rules"][0]["cap"]["amount"] = 25  # the golden test expects photos capped at 20 a month
    draft = body(_draft(client, world, document=document))
    response = client.post(
        f"/api/v1/rule-sets/{draft['id']}/publish", json={"effective_from": "2026-04-01"}, headers=auth(world.cw2)
    )
    assert response.status_code == 422
    refused = body(response)
    assert (refused["status"], refused["message"]) == ("golden_tests_failed", "有 1 个黄金用例未通过，不能发布。")
    assert refused["errors"] == {
        "golden_tests": ["黄金用例「随手拍每月 20 积分封顶」：期望 {'points': 20}，实际 {'points': 25}"]
    }
    assert db.session.get(RuleSet, draft["id"]).status == "draft"


def test_published_version_cannot_be_changed(client, world):
    published = db.session.execute(select(RuleSet)).scalar_one()
    response = client.patch(
        f"/api/v1/rule-sets/{published.id}", json={"document": points_document()}, headers=auth(world.cw1)
    )
    assert response.status_code == 409
    assert body(response)["status"] == "rule_set_not_draft"
    assert body(response)["message"] == "第 1 版已发布，已发布的版本不能修改；请另建草稿。"
    again = client.post(
        f"/api/v1/rule-sets/{published.id}/publish", json={"effective_from": "2026-05-01"}, headers=auth(world.cw2)
    )
    assert body(again)["status"] == "rule_set_not_draft"


def test_later_version_cannot_take_effect_in_the_past(client, world):
    draft = body(_draft(client, world))
    response = client.post(
        f"/api/v1/rule-sets/{draft['id']}/publish", json={"effective_from": "2026-03-09"}, headers=auth(world.cw2)
    )
    assert response.status_code == 422
    assert body(response)["errors"] == {"effective_from": ["生效日期不能早于今天：已发生的活动不按新规则重新计分"]}


def test_first_version_of_a_village_may_take_effect_in_the_past(client, world):
    town = make_town()
    village = make_village(town)
    cw = make_staff("committee", village=village)
    draft = client.post(
        "/api/v1/rule-sets",
        json={"village_id": village.id, "kind": "points", "document": points_document()},
        headers=auth(cw),
    )
    published = client.post(
        f"/api/v1/rule-sets/{body(draft)['id']}/publish",
        json={"effective_from": "2026-01-01"},
        headers=auth(make_staff("town_admin", town=town)),
    )
    assert published.status_code == 200, published.get_data(as_text=True)
    # What the committee sees afterwards: the version in force since that past date, stored as given.
    stored = body(client.get(f"/api/v1/rule-sets/{body(draft)['id']}", headers=auth(cw)))
    assert (stored["status"], stored["effective_from"]) == ("published", "2026-01-01")
    assert stored["document"]["effective_from"] == "2026-01-01"


def test_drafting_from_nothing_needs_a_document_when_nothing_is_published(client, world):
    response = _draft(client, world, kind="credit")
    assert response.status_code == 422
    assert body(response)["status"] == "no_published_rule_set"
    assert body(response)["message"] == "本村还没有已发布的规则集，请提供规则内容。"


def test_rule_set_in_force_is_the_latest_effective_on_the_day(app, world):
    make_rule_set(world.village, version=2, status="published", effective_from=date(2026, 4, 1))
    first = get_rule_set_in_force(db.session, village_id=world.village.id, kind="points", on=date(2026, 3, 31))
    second = get_rule_set_in_force(db.session, village_id=world.village.id, kind="points", on=date(2026, 4, 1))
    before = get_rule_set_in_force(db.session, village_id=world.village.id, kind="points", on=date(2025, 12, 31))
    assert (first.version, second.version, before) == (1, 2, None)
    assert get_rule_set_in_force(db.session, village_id=world.village.id, kind="credit", on=date(2026, 4, 1)) is None


def test_rollback_publishes_a_copy_of_an_earlier_version(client, world):
    document = points_document()
    document["rules"][1]["effect"]["amount"] = 4
    v2 = body(_draft(client, world, document=document))
    client.post(f"/api/v1/rule-sets/{v2['id']}/publish", json={"effective_from": "2026-03-10"}, headers=auth(world.cw2))
    v1 = db.session.execute(select(RuleSet).where(RuleSet.version == 1)).scalar_one()
    copy = body(_draft(client, world, copy_of=v1.id))
    assert (copy["version"], copy["copied_from_id"]) == (3, v1.id)
    assert copy["document"]["rules"][1]["effect"]["amount"] == 2
    client.post(
        f"/api/v1/rule-sets/{copy['id']}/publish", json={"effective_from": "2026-03-11"}, headers=auth(world.cw2)
    )
    in_force = get_rule_set_in_force(db.session, village_id=world.village.id, kind="points", on=date(2026, 3, 11))
    assert (in_force.version, in_force.document["rules"][1]["effect"]["amount"]) == (3, 2)


def test_rule_sets_of_another_village_are_not_found(client, world):
    theirs = make_rule_set(world.other_village)
    outsider_committee = make_staff("committee", village=world.other_village)
    assert client.get(f"/api/v1/rule-sets/{theirs.id}", headers=auth(world.cw1)).status_code == 404
    response = client.post(
        f"/api/v1/rule-sets/{theirs.id}/publish", json={"effective_from": "2026-04-01"}, headers=auth(world.cw1)
    )
    assert body(response)["status"] == "not_found"
    listed = client.get(f"/api/v1/rule-sets?village_id={world.village.id}", headers=auth(outsider_committee))
    assert listed.status_code == 404
    copied = _draft(client, world, copy_of=theirs.id)
    assert copied.status_code == 404


def test_villagers_may_not_edit_rule_sets(client, world):
    response = client.get(f"/api/v1/rule-sets?village_id={world.village.id}", headers=auth(world.user))
    assert response.status_code == 403
    assert body(response)["status"] == "forbidden"


def test_console_gets_the_facts_catalogue(client, world):
    catalogue = body(client.get("/api/v1/rules/catalogue", headers=auth(world.cw1)))
    hours = next(fact for fact in catalogue["facts"] if fact["code"] == "event.hours")
    assert hours["label"] == "活动时长（小时）" and "gte" in hours["operators"]


def test_villager_sees_what_earns_points_in_chinese(client, world):
    data = body(client.get("/api/v1/activity-types", headers=auth(world.user)))
    assert data["version"] == 1
    vote = next(item for item in data["items"] if item["code"] == "P02")
    assert vote == {
        "code": "P02",
        "activity_type": "vote",
        "activity_label": "点一点：民主评议投票",
        "title": "参加民主评议投票",
        "amount_text": "2 分",
        "cap_text": "每月最多 10 分",
        "evidence": [],
    }


def test_villager_of_a_village_without_rules_sees_an_empty_list(client, world):
    response = client.get("/api/v1/activity-types", headers=auth(world.outsider_user))
    assert body(response) == {"version": None, "effective_from": None, "items": []}
