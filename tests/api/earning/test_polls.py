"""Polls (民主评议): one ballot per adult or household, only while open, points for voting, results after close."""

from datetime import date, timedelta

from sqlalchemy import select

from backend.extensions import db
from backend.models import PointAward
from tests.conftest import body
from tests.factories import auth, make_staff, make_villager, make_villager_user
from tests.factories.activities import make_poll
from tests.factories.clock import START


def _open_poll(world, **kwargs):
    return make_poll(world.village, opens_at=START - timedelta(days=1), closes_at=START + timedelta(days=2), **kwargs)


def _vote(client, user, poll, option=0):
    return client.post(
        f"/api/v1/polls/{poll.id}/votes", json={"option_id": poll.options[option].id}, headers=auth(user)
    )


def test_committee_creates_a_poll_villager_votes_and_earns_points(client, world):
    created = client.post(
        "/api/v1/polls",
        json={
            "village_id": world.village.id,
            "question": "2026 年度文明户评选",
            "mode": "household",
            "options": ["王大明家", "李四家", "弃权"],
            "opens_at": "2026-03-10T08:00:00+08:00",
            "closes_at": "2026-03-12T18:00:00+08:00",
            "quorum_percent": 60,
        },
        headers=auth(world.cw1),
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    poll = body(created)
    assert (poll["opens_at"], poll["closes_at"]) == ("2026-03-10T00:00:00", "2026-03-12T10:00:00")
    response = client.post(
        f"/api/v1/polls/{poll['id']}/votes", json={"option_id": poll["options"][1]["id"]}, headers=auth(world.user)
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert body(response) == {
        "poll_id": poll["id"],
        "option_id": poll["options"][1]["id"],
        "points": 2,
        "explanation": None,
    }
    award = db.session.execute(select(PointAward)).scalar_one()
    assert (award.rule_code, award.rule_version, award.amount, award.earned_on) == ("P02", 1, 2, date(2026, 3, 10))
    assert award.reason == "王大明于2026年3月10日参加民主评议投票，获得 2 积分"


def test_poll_that_closes_before_it_opens_is_refused(client, world):
    response = client.post(
        "/api/v1/polls",
        json={
            "village_id": world.village.id,
            "question": "?",
            "mode": "adult",
            "options": ["是", "否"],
            "opens_at": "2026-03-12T08:00:00",
            "closes_at": "2026-03-11T08:00:00",
        },
        headers=auth(world.cw1),
    )
    assert response.status_code == 422
    assert body(response)["errors"] == {"closes_at": ["结束时间须晚于开始时间"]}


def test_second_vote_is_refused(client, world):
    poll = _open_poll(world)
    assert _vote(client, world.user, poll).status_code == 201
    response = _vote(client, world.user, poll, option=1)
    assert response.status_code == 409
    assert body(response) == {
        "code": 409,
        "status": "already_voted",
        "message": "您已投过票，每人只能投一票。",
        "errors": {},
    }


def test_second_member_of_a_household_cannot_vote_in_a_one_per_household_poll(client, world):
    poll = _open_poll(world, mode="household")
    assert _vote(client, world.user, poll).status_code == 201
    response = _vote(client, world.spouse_user, poll)
    assert response.status_code == 409
    assert body(response)["status"] == "household_already_voted"
    assert body(response)["message"] == "本户已由王大明投票，本次评议每户只能投一票。"


def test_every_adult_of_a_household_votes_in_an_adult_poll(client, world):
    poll = _open_poll(world, mode="adult")
    assert _vote(client, world.user, poll).status_code == 201
    assert _vote(client, world.spouse_user, poll).status_code == 201


def test_minor_cannot_vote(client, world):
    teen = make_villager(world.village, name="王小明", birth=date(2010, 6, 1), household=world.household, is_head=False)
    response = _vote(client, make_villager_user(teen), _open_poll(world))
    assert response.status_code == 403
    assert body(response)["status"] == "not_eligible"
    assert body(response)["message"] == "年满 18 周岁的在册村民才能参加评议投票。"


def test_vote_before_the_poll_opens_is_refused(client, world):
    poll = make_poll(world.village, opens_at=START + timedelta(hours=1), closes_at=START + timedelta(days=1))
    response = _vote(client, world.user, poll)
    assert response.status_code == 409
    assert body(response)["status"] == "poll_not_open"
    assert body(response)["message"] == "投票尚未开始，开始时间：2026-03-10 11:00。"


def test_vote_after_the_poll_closed_is_refused(client, world):
    poll = make_poll(world.village, opens_at=START - timedelta(days=3), closes_at=START - timedelta(minutes=1))
    response = _vote(client, world.user, poll)
    assert response.status_code == 409
    assert body(response)["status"] == "poll_closed"
    assert body(response)["message"] == "投票已于 2026-03-10 09:59 结束。"


def test_option_of_another_poll_is_refused(client, world):
    poll, other = _open_poll(world), _open_poll(world)
    response = client.post(
        f"/api/v1/polls/{poll.id}/votes", json={"option_id": other.options[0].id}, headers=auth(world.user)
    )
    assert response.status_code == 422
    assert body(response)["errors"] == {"option_id": ["该选项不属于本次投票"]}


def test_voting_points_stop_at_the_monthly_cap(client, world):
    earned = [body(_vote(client, world.user, _open_poll(world, question=f"第 {n} 项"))) for n in range(6)]
    assert [vote["points"] for vote in earned] == [2, 2, 2, 2, 2, 0]
    assert earned[-1]["explanation"] == "本月「参加民主评议投票」已得 10 分，达到每月 10 分的上限，本次不再加分"


def test_results_wait_for_the_close_for_villagers(client, world, frozen):
    poll = _open_poll(world, quorum_percent=50)
    _vote(client, world.user, poll, option=0)
    response = client.get(f"/api/v1/polls/{poll.id}/results", headers=auth(world.user))
    assert response.status_code == 409
    assert body(response)["status"] == "results_not_ready"
    assert body(response)["message"] == "投票结束后（2026-03-12 10:00）才公布结果。"

    live = body(client.get(f"/api/v1/polls/{poll.id}/results", headers=auth(world.cw1)))
    assert (live["closed"], live["ballots"], live["eligible"]) == (False, 1, 2)
    assert [option["votes"] for option in live["options"]] == [None, None]


def test_results_after_close_show_counts_turnout_and_quorum(client, world, frozen):
    poll = _open_poll(world, quorum_percent=60)
    _vote(client, world.user, poll, option=1)
    make_villager(world.village, name="孙老三")  # a third adult who does not vote
    frozen.advance(days=3)
    results = body(client.get(f"/api/v1/polls/{poll.id}/results", headers=auth(world.user)))
    assert results == {
        "poll_id": poll.id,
        "closed": True,
        "mode": "adult",
        "eligible": 3,
        "ballots": 1,
        "turnout_percent": 33.3,
        "quorum_percent": 60,
        "quorum_met": False,
        "options": [
            {"id": poll.options[0].id, "label": "同意", "votes": 0},
            {"id": poll.options[1].id, "label": "不同意", "votes": 1},
        ],
    }


def test_household_poll_counts_households_for_turnout(client, world, frozen):
    poll = _open_poll(world, mode="household", quorum_percent=50)
    _vote(client, world.spouse_user, poll)
    frozen.advance(days=3)
    results = body(client.get(f"/api/v1/polls/{poll.id}/results", headers=auth(world.cw1)))
    assert (results["eligible"], results["ballots"], results["quorum_met"]) == (1, 1, True)


def test_villager_lists_only_open_polls_of_own_village(client, world):
    open_poll = _open_poll(world)
    make_poll(world.village, opens_at=START - timedelta(days=3), closes_at=START - timedelta(days=1))
    make_poll(world.other_village, opens_at=START - timedelta(days=1), closes_at=START + timedelta(days=1))
    listed = body(client.get("/api/v1/polls", headers=auth(world.user)))
    assert [poll["id"] for poll in listed["items"]] == [open_poll.id]


def test_unbound_wechat_user_is_asked_to_bind_first(client, world):
    response = client.get("/api/v1/polls", headers=auth(make_villager_user()))
    assert response.status_code == 403
    assert body(response)["status"] == "not_bound"


def test_polls_of_another_village_are_not_found(client, world):
    theirs = make_poll(world.other_village, opens_at=START - timedelta(days=1), closes_at=START + timedelta(days=1))
    response = _vote(client, world.user, theirs)
    assert response.status_code == 404
    assert body(response)["status"] == "not_found"
    assert client.get(f"/api/v1/polls/{theirs.id}/results", headers=auth(world.cw1)).status_code == 404
    other_committee = make_staff("committee", village=world.other_village)
    response = client.post(
        "/api/v1/polls",
        json={
            "village_id": world.village.id,
            "question": "?",
            "mode": "adult",
            "options": ["是", "否"],
            "opens_at": "2026-03-10T00:00:00",
            "closes_at": "2026-03-11T00:00:00",
        },
        headers=auth(other_committee),
    )
    assert response.status_code == 404


def test_a_retried_vote_with_its_key_gets_the_first_answer_and_one_without_is_refused(client, world):
    poll = _open_poll(world)
    signed_in = auth(world.user)
    headers = {**signed_in, "Idempotency-Key": "vote-1"}
    url, payload = f"/api/v1/polls/{poll.id}/votes", {"option_id": poll.options[0].id}
    first = client.post(url, json=payload, headers=headers)
    again = client.post(url, json=payload, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert body(again) == body(first) and again.headers["Idempotent-Replayed"] == "true"
    # Without a key the ballot box itself refuses a second vote: voting is idempotent by nature.
    assert body(client.post(url, json=payload, headers=signed_in))["status"] == "already_voted"
