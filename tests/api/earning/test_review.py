"""Committee review: the queue, approve (points from the rule, caps, second approval), reject, appeal, independence."""

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEntry, PointAward, User
from tests.conftest import body, use_settings
from tests.factories import auth, keyed, make_staff, make_villager, make_villager_user
from tests.factories.submissions import make_photo


def awards_for(submission_id: int) -> list[PointAward]:
    stmt = select(PointAward).where(PointAward.source_type == "submission", PointAward.source_id == submission_id)
    return list(db.session.execute(stmt).scalars())


def audit_actions(submission_id: int) -> list[tuple[str, int | None]]:
    stmt = select(AuditEntry).where(AuditEntry.entity_type == "submissions", AuditEntry.entity_id == submission_id)
    return [(e.action, e.actor_id) for e in db.session.execute(stmt.order_by(AuditEntry.id)).scalars()]


def balance(v) -> int:
    """The villager's points balance as their own home screen shows it."""
    return body(v.client.get("/api/v1/me", headers=v.headers))["points"]["balance"]


def test_approving_a_photo_books_the_reviewers_amount_within_the_rule(v):
    claim = v.submit_photo(make_photo())
    response = v.decide(claim["id"], "approve", v.cw1, amount=3, note="清理干净")
    assert response.status_code == 200, response.get_data(as_text=True)
    decided = body(response)
    assert decided["status"] == "approved"
    assert decided["points_awarded"] == 3
    assert decided["rule_code"] == "P01"
    assert [a.amount for a in awards_for(claim["id"])] == [3]
    assert audit_actions(claim["id"]) == [("submission.approve", v.cw1.id)]

    mine = body(v.client.get("/api/v1/me/submissions", headers=v.headers))["items"][0]
    assert (mine["status"], mine["points_awarded"]) == ("approved", 3)
    assert balance(v) == 3


def test_approving_a_speak_claim_books_the_rules_fixed_amount(v):
    claim = v.submit_speak()
    decided = body(v.decide(claim["id"], "approve", v.cw1))
    assert decided["points_awarded"] == 10
    assert decided["rule_code"] == "P06"
    assert balance(v) == 10


def test_amount_outside_the_rules_range_is_refused(v):
    claim = v.submit_photo(make_photo())
    response = v.decide(claim["id"], "approve", v.cw1, amount=9)
    assert response.status_code == 422
    assert "amount" in body(response)["errors"]
    assert awards_for(claim["id"]) == []
    assert balance(v) == 0
    assert v.client.get(f"/api/v1/submissions/{claim['id']}", headers=auth(v.cw1)).get_json()["status"] == "pending"


def test_approving_twice_is_refused(v):
    claim = v.submit_photo(make_photo())
    assert v.decide(claim["id"], "approve", v.cw1, amount=5).status_code == 200
    again = v.decide(claim["id"], "approve", v.cw2, amount=5)
    assert again.status_code == 409
    assert body(again)["status"] == "already_decided"
    assert len(awards_for(claim["id"])) == 1
    assert balance(v) == 5


def test_monthly_cap_reached_approves_with_zero_points_and_says_why(v):
    claims = [v.submit_photo(make_photo(seed=100 + i)) for i in range(5)]
    for claim in claims[:4]:
        assert body(v.decide(claim["id"], "approve", v.cw1, amount=5))["points_awarded"] == 5
    last = body(v.decide(claims[4]["id"], "approve", v.cw1, amount=5))
    assert last["status"] == "approved"
    assert last["points_awarded"] == 0
    assert "上限" in last["award_message"]
    assert balance(v) == 20
    mine = body(v.client.get("/api/v1/me/submissions", headers=v.headers))["items"][0]
    assert mine["award_message"] == last["award_message"]


def test_rejection_reason_reaches_the_villager(v):
    claim = v.submit_photo(make_photo())
    response = v.decide(claim["id"], "reject", v.cw1, reason="照片看不清")
    assert response.status_code == 200
    mine = body(v.client.get("/api/v1/me/submissions", headers=v.headers))["items"][0]
    assert (mine["status"], mine["rejection_reason"], mine["points_awarded"]) == ("rejected", "照片看不清", None)
    assert audit_actions(claim["id"]) == [("submission.reject", v.cw1.id)]


def test_rejection_needs_a_reason(v):
    claim = v.submit_photo(make_photo())
    response = v.decide(claim["id"], "reject", v.cw1)
    assert response.status_code == 422
    assert body(response)["errors"] == {"reason": ["缺少必填字段。"]}


def appeal(v, claim_id, headers=None):
    return v.client.post(
        f"/api/v1/submissions/{claim_id}/appeal", json={"reason": "照片是今天拍的"}, headers=headers or v.headers
    )


def test_villager_may_appeal_a_rejection_once(v):
    claim = v.submit_photo(make_photo())
    v.decide(claim["id"], "reject", v.cw1, reason="照片看不清")

    appealed = appeal(v, claim["id"])
    assert appealed.status_code == 200
    assert (body(appealed)["status"], body(appealed)["appealed"]) == ("pending", True)
    queue = body(v.client.get("/api/v1/review/submissions?status=pending", headers=auth(v.cw2)))
    assert [(i["id"], i["appeal_reason"]) for i in queue["items"]] == [(claim["id"], "照片是今天拍的")]

    assert v.decide(claim["id"], "reject", v.cw2, reason="仍然看不清").status_code == 200
    second = appeal(v, claim["id"])
    assert second.status_code == 409
    assert body(second)["status"] == "already_appealed"
    assert [a for a, _ in audit_actions(claim["id"])] == ["submission.reject", "submission.appeal", "submission.reject"]


def test_appeal_of_a_claim_that_was_not_rejected_is_refused(v):
    claim = v.submit_speak()
    response = appeal(v, claim["id"])
    assert response.status_code == 409
    assert body(response)["status"] == "not_appealable"


def test_villager_cannot_appeal_someone_elses_claim(v):
    claim = v.submit_speak()
    v.decide(claim["id"], "reject", v.cw1, reason="重复")
    neighbour = make_villager_user(make_villager(v.village, name="王五"))
    assert appeal(v, claim["id"], headers=auth(neighbour)).status_code == 404


def test_the_member_who_rejected_does_not_decide_the_appeal(v):
    claim = v.submit_speak()
    v.decide(claim["id"], "reject", v.cw1, reason="不具体")
    appeal(v, claim["id"])
    response = v.decide(claim["id"], "approve", v.cw1)
    assert response.status_code == 403
    assert body(response)["status"] == "appeal_needs_other_reviewer"
    assert v.decide(claim["id"], "approve", v.cw2).status_code == 200


def link_to_villager(staff, villager) -> None:
    user = db.session.get(User, staff.id)
    user.villager_id = villager.id
    db.session.commit()


def test_committee_member_cannot_review_their_own_claim(v):
    # The member's roster entry has no WeChat account of its own (users.villager_id is unique): their claim
    # reaches the queue as another member's assisted entry.
    member = make_villager(v.village, name="赵六")
    link_to_villager(v.cw1, member)
    entry = v.client.post(
        f"/api/v1/villagers/{member.id}/assisted-submissions",
        json={"activity_type": "speak", "text": "修水渠"},
        headers=keyed(auth(v.cw2)),
    )
    response = v.decide(body(entry)["id"], "approve", v.cw1)
    assert response.status_code == 403
    assert body(response) == {
        "code": 403,
        "status": "own_household",
        "message": "不能审核本人或同户家庭成员的申报，请由其他村委成员审核。",
        "errors": {},
    }


def test_committee_member_cannot_review_a_claim_from_their_household(v):
    claim = v.submit_speak()
    spouse = make_villager(v.village, name="李四妻", household=v.household, is_head=False)
    link_to_villager(v.cw1, spouse)
    assert v.decide(claim["id"], "reject", v.cw1, reason="x").status_code == 403
    assert v.decide(claim["id"], "approve", v.cw2).status_code == 200


def test_villager_cannot_review(v):
    claim = v.submit_speak()
    neighbour = make_villager_user(make_villager(v.village, name="王五"))
    assert v.decide(claim["id"], "approve", neighbour).status_code == 403


def test_committee_of_another_village_cannot_review(v):
    from tests.factories import make_village

    claim = v.submit_speak()
    outsider = make_staff("committee", village=make_village())
    assert v.decide(claim["id"], "approve", outsider).status_code == 404


def test_large_award_waits_for_a_second_different_member(app, v, monkeypatch):
    use_settings(monkeypatch, app, review_second_approval_above=4)
    claim = v.submit_photo(make_photo())

    first = v.decide(claim["id"], "approve", v.cw1, amount=5)
    assert first.status_code == 200
    assert body(first)["status"] == "awaiting_second_approval"
    assert body(first)["proposed_points"] == 5
    assert body(first)["points_awarded"] is None
    assert awards_for(claim["id"]) == []
    assert balance(v) == 0  # nothing is booked while the award waits

    same = v.decide(claim["id"], "approve", v.cw1)
    assert same.status_code == 403
    assert body(same)["status"] == "second_approver_required"

    changed = v.decide(claim["id"], "approve", v.cw2, amount=4)
    assert changed.status_code == 422

    second = v.decide(claim["id"], "approve", v.cw2)
    assert second.status_code == 200
    assert (body(second)["status"], body(second)["points_awarded"]) == ("approved", 5)
    assert [a.amount for a in awards_for(claim["id"])] == [5]
    assert balance(v) == 5
    assert audit_actions(claim["id"]) == [
        ("submission.first_approval", v.cw1.id),
        ("submission.second_approval", v.cw2.id),
    ]


def test_small_award_needs_one_approval(app, v, monkeypatch):
    use_settings(monkeypatch, app, review_second_approval_above=4)
    claim = v.submit_photo(make_photo())
    assert body(v.decide(claim["id"], "approve", v.cw1, amount=4))["status"] == "approved"
    assert balance(v) == 4


def test_second_member_may_reject_instead(app, v, monkeypatch):
    use_settings(monkeypatch, app, review_second_approval_above=4)
    claim = v.submit_photo(make_photo())
    v.decide(claim["id"], "approve", v.cw1, amount=5)
    rejected = v.decide(claim["id"], "reject", v.cw2, reason="不是本村")
    assert body(rejected)["status"] == "rejected"
    assert awards_for(claim["id"]) == []
    assert balance(v) == 0


def assisted(v, staff, payload):
    return v.client.post(
        f"/api/v1/villagers/{v.villager.id}/assisted-submissions", json=payload, headers=keyed(auth(staff))
    )


def test_committee_records_a_claim_for_a_villager_and_another_member_reviews_it(v):
    photo = v.file_id(make_photo(), headers=auth(v.cw1))
    response = assisted(v, v.cw1, {"activity_type": "photo", "text": "代老人登记", "file_ids": [photo]})
    assert response.status_code == 201, response.get_data(as_text=True)
    claim = body(response)
    assert (claim["assisted"], claim["villager_id"], claim["entered_by_id"]) == (True, v.villager.id, v.cw1.id)

    own = v.decide(claim["id"], "approve", v.cw1, amount=5)
    assert own.status_code == 403
    assert body(own)["status"] == "own_entry"
    assert body(v.decide(claim["id"], "approve", v.cw2, amount=5))["points_awarded"] == 5

    mine = body(v.client.get("/api/v1/me/submissions", headers=v.headers))["items"][0]
    assert (mine["assisted"], mine["points_awarded"]) == (True, 5)
    assert audit_actions(claim["id"])[0] == ("submission.assisted_create", v.cw1.id)


def test_assisted_entry_uses_only_the_members_own_files(v):
    villagers_file = v.file_id(make_photo())
    response = assisted(v, v.cw1, {"activity_type": "photo", "file_ids": [villagers_file]})
    assert response.status_code == 422


def test_review_queue_filters_and_paginates(v):
    speak = v.submit_speak()
    photo = v.submit_photo(make_photo(seed=1))
    duplicate = v.submit_photo(make_photo(seed=1))
    decided = v.submit_speak("已处理")
    v.decide(decided["id"], "reject", v.cw1, reason="重复")
    headers = auth(v.cw1)

    def ids(query):
        return [i["id"] for i in body(v.client.get(f"/api/v1/review/submissions?{query}", headers=headers))["items"]]

    assert ids("status=pending") == [speak["id"], photo["id"], duplicate["id"]]
    assert ids("status=pending&activity_type=photo") == [photo["id"], duplicate["id"]]
    assert ids("flagged=true") == [duplicate["id"]]
    assert ids("status=rejected") == [decided["id"]]
    page = body(v.client.get("/api/v1/review/submissions?status=pending&limit=2", headers=headers))
    assert len(page["items"]) == 2
    rest = body(
        v.client.get(f"/api/v1/review/submissions?status=pending&limit=2&cursor={page['next_cursor']}", headers=headers)
    )
    assert [i["id"] for i in rest["items"]] == [duplicate["id"]]
    item = page["items"][0]
    assert item["villager_name"] == "李四"


@pytest.mark.parametrize("query", ["status=nonsense", "activity_type=vote", "flagged=perhaps"])
def test_review_queue_refuses_bad_filters(v, query):
    response = v.client.get(f"/api/v1/review/submissions?{query}", headers=auth(v.cw1))
    assert response.status_code == 422


def test_villager_cannot_see_the_review_queue(v):
    assert v.client.get("/api/v1/review/submissions", headers=v.headers).status_code == 403


def test_second_approval_may_confirm_the_proposed_points_of_a_fixed_rule(app, v, monkeypatch):
    use_settings(monkeypatch, app, review_second_approval_above=5)
    claim = v.submit_speak()
    first = body(v.decide(claim["id"], "approve", v.cw1))
    assert (first["status"], first["proposed_points"]) == ("awaiting_second_approval", 10)
    # The console pre-fills the proposed 10 points; confirming them is not a disagreement.
    second = v.decide(claim["id"], "approve", v.cw2, amount=10)
    assert (body(second)["status"], body(second)["points_awarded"]) == ("approved", 10)
    assert balance(v) == 10


def test_refusals_speak_english_when_asked(v):
    claim = v.submit_speak()
    v.decide(claim["id"], "reject", v.cw1, reason="不具体")
    appeal(v, claim["id"])
    v.decide(claim["id"], "reject", v.cw2, reason="仍不具体")
    response = v.client.post(
        f"/api/v1/submissions/{claim['id']}/appeal",
        json={"reason": "再看看"},
        headers={**v.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 409
    assert body(response)["message"] == "A claim can be appealed only once."


def test_a_large_award_capped_below_the_threshold_is_approved_at_once(app, v, monkeypatch):
    """The capped amount decides, as the pure rules compute it before anything is booked."""
    use_settings(monkeypatch, app, review_second_approval_above=4)
    for seed in range(3):  # 15 of the photo rule's 20 a month
        earlier = v.submit_photo(make_photo(seed=200 + seed))
        assert body(v.decide(earlier["id"], "approve", v.cw1, amount=5))["status"] == "awaiting_second_approval"
        assert body(v.decide(earlier["id"], "approve", v.cw2))["status"] == "approved"
    assert balance(v) == 15
    claim = v.submit_photo(make_photo(seed=300))
    # 5 asked, 5 left under the cap: above the threshold of 4, so it waits.
    assert body(v.decide(claim["id"], "approve", v.cw1, amount=5))["proposed_points"] == 5
    assert body(v.decide(claim["id"], "approve", v.cw2))["points_awarded"] == 5
    assert balance(v) == 20
    last = v.submit_photo(make_photo(seed=301))
    # 5 asked, nothing left under the cap: 0 points, approved by one member.
    decided = body(v.decide(last["id"], "approve", v.cw1, amount=5))
    assert (decided["status"], decided["points_awarded"]) == ("approved", 0)
    assert balance(v) == 20
