"""Each award counts in tallies, stars, streaks and badges, in its own transaction; badges are awarded once."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import BadgeAward, Notification, Participation, PointsTally, Villager
from backend.models.ledger import Transfer
from backend.rules import load_demo_rule_set
from backend.services.earning.awards import award_points
from backend.services.ledger.balances import villager_balance
from tests.conftest import body
from tests.factories import auth, make_household, make_staff, make_village, make_villager, make_villager_user
from tests.factories.activities import make_rule_set
from tests.factories.threads import run_threads

VOLUNTEER = {"event.kind": "volunteer", "event.hours": 2}


@pytest.fixture
def family(app):
    village = make_village()
    make_rule_set(village, document=load_demo_rule_set("points_qt"))
    household = make_household(village)
    father = make_villager(village, name="王大明", household=household, is_head=True)
    mother = make_villager(village, name="李小红", household=household, is_head=False)
    return village, father, mother


def award(villager_id, key, *, on=date(2026, 3, 10), activity_type="checkin", facts=VOLUNTEER):
    with write_transaction() as session:
        found = award_points(
            session,
            villager=session.get(Villager, villager_id),
            activity_type=activity_type,
            facts=facts,
            on=on,
            source_type="test",
            source_id=1,
            idempotency_key=key,
        )
        return found.amount


def badges_of(villager_id=None):
    stmt = select(BadgeAward.label).order_by(BadgeAward.id)
    if villager_id is not None:
        stmt = stmt.where(BadgeAward.villager_id == villager_id)
    return list(db.session.execute(stmt).scalars())


def test_first_check_in_earns_a_badge_whose_bonus_is_booked_under_its_code(family):
    _village, father, _mother = family
    assert award(father.id, "e1") == 2
    assert badges_of(father.id) == ["初次签到"]
    bonus = db.session.execute(select(Transfer).where(Transfer.rule_code == "B01")).scalar_one()
    assert (bonus.amount, bonus.source_type, bonus.reason) == (2, "badge", "获得「初次签到」勋章，奖励 2 积分")
    assert villager_balance(db.session, father.id) == 4
    note = db.session.execute(select(Notification)).scalar_one()
    assert note.title == "获得勋章" and "参加扫一扫：活动签到 1 次" not in note.body and "初次签到" in note.body


def test_tallies_count_points_per_category_and_in_total(family):
    _village, father, _mother = family
    award(father.id, "e1")
    award(father.id, "v1", activity_type="vote", facts={})
    rows = {
        (r.period, r.period_key, r.category): (r.points, r.activities)
        for r in db.session.execute(select(PointsTally).where(PointsTally.villager_id == father.id)).scalars()
    }
    assert rows[("month", "2026-03", "志愿服务")] == (2, 1)
    assert rows[("month", "2026-03", "民主评议")] == (2, 1)
    assert rows[("month", "2026-03", "勋章奖励")] == (2, 1)  # 初次签到 has no category of its own
    assert rows[("month", "2026-03", "")] == (6, 3)
    assert rows[("week", "2026-W11", "")] == (6, 3)
    assert rows[("year", "2026", "志愿服务")] == (2, 1)


def test_stars_rise_with_lifetime_points_and_the_streak_counts_weeks(family, monkeypatch):
    _village, father, _mother = family
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 4, 1, 2, 0))
    for week in range(5):
        award(father.id, f"w{week}", on=date(2026, 3, 2 + 7 * week))
    state = db.session.execute(select(Participation).where(Participation.villager_id == father.id)).scalar_one()
    assert (state.current_streak, state.best_streak) == (5, 5)
    # 5 x 2 points + bonuses 初次签到 2, 志愿先锋·铜 2, 持之以恒·银 5 (服务时长·铜 has none) = 19 points: one star.
    assert (state.lifetime_points, state.stars) == (19, 1)
    assert set(badges_of(father.id)) == {"初次签到", "志愿先锋·铜", "服务时长·铜", "持之以恒·铜", "持之以恒·银"}


def test_a_household_badge_when_every_adult_took_part_in_one_month(family):
    _village, father, mother = family
    award(father.id, "f1", activity_type="vote", facts={})
    assert "最美家庭" not in badges_of()
    award(mother.id, "m1", activity_type="vote", facts={})
    household = db.session.execute(select(BadgeAward).where(BadgeAward.badge_code == "B07")).scalar_one()
    assert (household.holder_key, household.villager_id, household.bonus_points) == (
        f"household:{father.household_id}",
        father.id,  # the head's account takes the household's bonus
        5,
    )


@pytest.mark.slow
def test_two_approvals_at_the_same_moment_award_a_badge_exactly_once(app, family):
    """Real threads: two members of one household, and one villager twice, approved at once."""
    _village, father, mother = family
    for n in range(2):
        award(father.id, f"before{n}", on=date(2026, 3, 2 + 7 * n))  # two volunteer days: 志愿先锋·铜 needs 3
    ids = [(father.id, "race-f", "checkin", VOLUNTEER), (mother.id, "race-m", "vote", {})]
    ids += [(father.id, "race-f2", "checkin", VOLUNTEER)]

    def work(index):
        villager_id, key, activity_type, facts = ids[index]
        award(villager_id, key, on=date(2026, 3, 24), activity_type=activity_type, facts=facts)

    assert run_threads(app, 3, work) == []
    labels = badges_of()
    assert labels.count("最美家庭") == 1
    assert labels.count("志愿先锋·铜") == 1
    bonuses = db.session.execute(
        select(Transfer.rule_code, func.count()).where(Transfer.source_type == "badge").group_by(Transfer.rule_code)
    ).all()
    assert all(count == 1 for _code, count in bonuses if _code in ("B02", "B07"))


@pytest.mark.slow
def test_two_members_capped_at_the_same_moment_complete_the_household_badge_once(app):
    """Capped awards book nothing, so no ledger lock orders them: only the household lock does."""
    village = make_village()
    document = load_demo_rule_set("points_qt")
    document["rules"][1]["cap"] = {"period": "year", "amount": 2}  # one paid vote a year
    document["badges"][-1]["tiers"][0]["threshold"] = 2  # 最美家庭: two months with every adult
    make_rule_set(village, document=document)
    household = make_household(village)
    father = make_villager(village, name="王大明", household=household, is_head=True)
    mother = make_villager(village, name="李小红", household=household, is_head=False)
    award(father.id, "jan-f", on=date(2026, 1, 5), activity_type="vote", facts={})
    award(mother.id, "jan-m", on=date(2026, 1, 6), activity_type="vote", facts={})
    people = [father.id, mother.id]

    def work(index):
        assert award(people[index], f"mar-{index}", on=date(2026, 3, 3), activity_type="vote", facts={}) == 0

    assert run_threads(app, 2, work) == []
    assert badges_of().count("最美家庭") == 1


def test_simulating_a_points_draft_lists_who_would_gain_which_badge(client, family):
    village, father, mother = family
    for n in range(2):
        award(father.id, f"v{n}", on=date(2026, 3, 2 + 7 * n))
    draft = load_demo_rule_set("points_qt")
    draft["badges"][1]["tiers"][0]["threshold"] = 2  # 志愿先锋·铜 at 2 volunteer days instead of 3
    rule_set = make_rule_set(village, document=draft, status="draft", version=2)
    staff = auth(make_staff("committee", village=village))
    result = body(client.get(f"/api/v1/rule-sets/{rule_set.id}/badge-simulation", headers=staff))
    assert [(g["name"], g["label"]) for g in result["gains"]] == [("王大明", "志愿先锋·铜")]
    assert result["bonus_points"] == 2
    villager = auth(make_villager_user(mother))
    assert client.get(f"/api/v1/rule-sets/{rule_set.id}/badge-simulation", headers=villager).status_code == 403
    other = auth(make_staff("committee", village=make_village()))
    assert client.get(f"/api/v1/rule-sets/{rule_set.id}/badge-simulation", headers=other).status_code == 404
