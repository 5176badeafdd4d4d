"""Categories, badges, stars and streaks of the points rule set: pure evaluation, explanation, validation."""

import copy
from datetime import date, timedelta

import pytest

from backend.rules import (
    ActivityRecord,
    History,
    compute_streak,
    evaluate_badges,
    load_demo_rule_set,
    rate_stars,
    simulate_badges,
    star_thresholds,
    validate_rule_set,
)

DEMO = load_demo_rule_set("points_qt")


def volunteering(n: int, *, hours: float = 2, start: date = date(2026, 3, 2)) -> list[ActivityRecord]:
    return [ActivityRecord(start + timedelta(days=7 * i), "checkin", "志愿服务", "P05", 2, hours) for i in range(n)]


def badge(progress_list, code):
    return next(p for p in progress_list if p.code == code)


def test_every_demo_points_rule_has_one_of_the_six_categories():
    assert {rule["category"] for rule in DEMO["rules"]} == {
        "民主评议",
        "环境美化",
        "平安治理",
        "志愿服务",
        "在线学习",
        "建言献策",
    }


def test_a_points_rule_outside_the_sets_categories_is_refused_in_chinese():
    document = copy.deepcopy(DEMO)
    document["rules"][0]["category"] = "积分"
    errors = validate_rule_set(document)
    assert errors["rules"]["0"]["category"] == [
        "规则 P01：类别应为以下之一：民主评议、环境美化、平安治理、志愿服务、在线学习、建言献策"
    ]


def test_a_village_may_add_its_own_category():
    document = copy.deepcopy(DEMO)
    document["categories"] = [*document["categories"], "移风易俗"]
    document["rules"][0]["category"] = "移风易俗"
    assert validate_rule_set(document) == {}


def test_tiered_badge_shows_its_condition_and_progress_seven_of_ten():
    progress = badge(evaluate_badges(DEMO, History(tuple(volunteering(7)))), "B02")
    assert [t.label for t in progress.earned_tiers] == ["志愿先锋·铜"]
    assert progress.next_tier.condition == "参加「志愿服务」类活动 10 次"
    assert progress.progress == (7, 10)
    assert [t.label for t in progress.newly_earned] == ["志愿先锋·铜"]


def test_an_earned_tier_is_not_new_again_and_stays_earned():
    history = History(tuple(volunteering(3)))
    progress = badge(evaluate_badges(DEMO, history, earned={"B02": ["bronze"]}), "B02")
    assert progress.newly_earned == ()
    kept = badge(evaluate_badges(DEMO, History(), earned={"B06": ["bronze"]}), "B06")
    assert [t.tier for t in kept.earned_tiers] == ["bronze"]


def test_hours_badge_sums_volunteer_hours():
    progress = badge(evaluate_badges(DEMO, History(tuple(volunteering(13, hours=4)))), "B03")
    assert progress.value == 52
    assert [t.label for t in progress.newly_earned] == ["服务时长·铜", "服务时长·银", "服务时长·金"]
    assert progress.tiers[-1].condition == "「志愿服务」类活动累计满 50 小时"


def test_every_category_in_one_month_earns_the_gold_tier():
    day = date(2026, 4, 3)
    records = tuple(ActivityRecord(day, "vote", category) for category in DEMO["categories"])
    progress = badge(evaluate_badges(DEMO, History(records)), "B05")
    assert progress.value == 6 and progress.tiers[-1].earned
    split = tuple(ActivityRecord(date(2026, 4 + i % 2, 3), "vote", c) for i, c in enumerate(DEMO["categories"]))
    assert badge(evaluate_badges(DEMO, History(split)), "B05").value == 3


def test_household_badge_needs_every_adult_in_the_same_month():
    household = History(household_months={"2026-03": (3, 2), "2026-04": (3, 3)})
    (progress,) = evaluate_badges(DEMO, household, scope="household")
    assert progress.code == "B07" and progress.title == "最美家庭"
    assert [t.label for t in progress.newly_earned] == ["最美家庭"]
    assert not evaluate_badges(DEMO, History(household_months={"2026-03": (3, 2)}), scope="household")[0].value


def test_streak_counts_consecutive_weeks_and_keeps_the_best():
    as_of = date(2026, 5, 6)  # a Wednesday
    days = [date(2026, 3, 2), date(2026, 3, 10), date(2026, 3, 17), date(2026, 3, 24)]  # 4 weeks in a row
    days += [date(2026, 4, 21), date(2026, 4, 29)]  # then a gap, then 2 weeks up to last week
    streak = compute_streak(days, as_of=as_of)
    assert (streak.current, streak.best, streak.active_this_week) == (2, 4, False)
    assert compute_streak([*days, date(2026, 5, 4)], as_of=as_of).current == 3
    assert compute_streak(days, as_of=date(2026, 5, 13)).current == 0  # a whole week without anything
    assert compute_streak([], as_of=as_of) == compute_streak([date(2027, 1, 1)], as_of=as_of)


def test_streak_crosses_the_new_year_by_iso_week():
    days = [date(2026, 12, 24), date(2026, 12, 31), date(2027, 1, 5)]
    assert compute_streak(days, as_of=date(2027, 1, 6)).current == 3


@pytest.mark.parametrize(
    ("lifetime", "stars", "next_at"), [(0, 1, 150), (149, 1, 150), (150, 2, 190), (224, 4, 225), (225, 5, None)]
)
def test_stars_follow_lifetime_points(lifetime, stars, next_at):
    rating = rate_stars(star_thresholds(DEMO), lifetime)
    assert (rating.stars, rating.next_star_at) == (stars, next_at)
    assert rating.text.startswith(f"参与星级 {stars} 星")


def test_stars_are_never_lowered():
    assert rate_stars(star_thresholds(DEMO), 10, at_least=3).stars == 3


def test_simulating_a_draft_reports_who_would_gain_which_badge():
    draft = copy.deepcopy(DEMO)
    draft["badges"][1]["tiers"][1]["threshold"] = 6  # 志愿先锋·银 at 6 instead of 10
    population = {1: History(tuple(volunteering(7))), 2: History(tuple(volunteering(2)))}
    result = simulate_badges(draft, population, earned={1: {"B01": ["bronze"], "B02": ["bronze"]}})
    gained = {(g.person_id, g.label) for g in result["gains"]}
    assert (1, "志愿先锋·银") in gained and (1, "志愿先锋·铜") not in gained
    assert (2, "志愿先锋·银") not in gained
    assert result["counts"]["志愿先锋·银"] == 1
    assert result["bonus_points"] >= 5


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda d: d["badges"][1]["tiers"].reverse(), ("badges", "1", "tiers"), "等级须按铜、银、金的顺序排列且不重复"),
        (lambda d: d["badges"][1].update(code="P01"), ("badges", "1", "code"), "编码与其他勋章或规则重复"),
        (lambda d: d["badges"][6].update(scope="villager"), ("badges", "6", "scope"), "不适用于个人勋章"),
        (lambda d: d["badges"][1]["metric"].update(category="积分"), ("badges", "1", "metric"), "不在规则集的类别中"),
        (lambda d: d["badges"][4]["tiers"][2].update(threshold=7), ("badges", "4", "tiers"), "最多只能参加 6 个类别"),
        (lambda d: d["stars"].update(thresholds=[0, 50, 40, 60, 70]), ("stars", "thresholds"), "递增"),
        (lambda d: d["stars"].update(thresholds=[0, 50]), ("stars", "thresholds"), "5 个门槛"),
        (lambda d: d["badges"][0]["tiers"][0].update(tier="platinum"), ("badges", "0", "tiers"), "勋章等级应为"),
        (lambda d: d["badges"][0]["metric"].update(type="vibes"), ("badges", "0", "metric"), "未知的勋章条件类型"),
    ],
)
def test_badge_mistakes_are_reported_in_chinese_on_the_badge(change, path, message):
    document = copy.deepcopy(DEMO)
    change(document)
    node = validate_rule_set(document)
    for key in path:
        node = node[key]
    assert message in str(node), node


def test_credit_rule_sets_cannot_carry_badges():
    document = copy.deepcopy(load_demo_rule_set("credit_qt"))
    document["badges"] = copy.deepcopy(DEMO["badges"])
    assert validate_rule_set(document)["badges"] == ["类别、参与星级和勋章只用于积分规则集"]
