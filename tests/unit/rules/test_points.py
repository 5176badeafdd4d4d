from datetime import date

import pytest

from backend.rules import (
    RuleError,
    cap_period_key,
    cap_window,
    compile_rule_set,
    describe_points_rules,
    points_expiry_date,
    score_activity,
)
from tests.unit.rules.factories import points_set

PHOTO = {"activity.type": "photo", "villager.name": "李四"}
NOV = date(2026, 11, 23)


@pytest.fixture(scope="module")
def rules():
    return compile_rule_set(points_set())


def test_photo_earns_reviewer_amount_with_sentence_and_expiry(rules):
    award = score_activity(rules, activity_facts=PHOTO, on=NOV, amount_override=4)
    assert (award.rule_code, award.amount, award.uncapped_amount, award.capped) == ("P01", 4, 4, False)
    assert award.rule_set_version == 1
    assert award.expires_on == date(2027, 12, 31)
    assert award.sentence == "李四于2026年11月23日的环境整治随手拍经审核，获得 4 积分"
    assert award.cap_period_key == "2026-11"
    assert award.explanation is None


def test_photo_without_reviewer_amount_earns_the_default(rules):
    assert score_activity(rules, activity_facts=PHOTO, on=NOV).amount == 5


def test_reviewer_amount_outside_range_is_refused(rules):
    with pytest.raises(RuleError, match="超出允许范围 1 至 5"):
        score_activity(rules, activity_facts=PHOTO, on=NOV, amount_override=8)


def test_fixed_rule_refuses_a_reviewer_amount(rules):
    with pytest.raises(RuleError, match="分值固定"):
        score_activity(rules, activity_facts={"activity.type": "vote"}, on=NOV, amount_override=1)


def test_second_photo_in_month_beyond_cap_earns_nothing(rules):
    award = score_activity(rules, activity_facts=PHOTO, on=NOV, period_totals={("P01", "2026-11"): 20})
    assert (award.amount, award.uncapped_amount, award.capped) == (0, 5, True)
    assert award.explanation == "本月「环境整治随手拍」已得 20 分，达到每月 20 分的上限，本次不再加分"


def test_photo_near_cap_earns_only_the_remainder(rules):
    award = score_activity(rules, activity_facts=PHOTO, on=NOV, period_totals={("P01", "2026-11"): 18})
    assert (award.amount, award.capped) == (2, True)
    assert "本次只加 2 分" in award.explanation


def test_earnings_of_last_month_do_not_count_against_this_month(rules):
    award = score_activity(rules, activity_facts=PHOTO, on=NOV, period_totals={("P01", "2026-10"): 20})
    assert award.amount == 5


def test_caller_may_answer_period_totals_with_a_function(rules):
    asked = []

    def totals(code, key, start, end):
        asked.append((code, key, start, end))
        return 19

    award = score_activity(rules, activity_facts=PHOTO, on=NOV, period_totals=totals)
    assert award.amount == 1
    assert asked == [("P01", "2026-11", date(2026, 11, 1), date(2026, 11, 30))]


def test_checkin_is_matched_by_event_kind(rules):
    patrol = score_activity(rules, activity_facts={"activity.type": "checkin", "event.kind": "patrol"}, on=NOV)
    volunteer = score_activity(
        rules, activity_facts={"activity.type": "checkin", "event.kind": "volunteer", "event.hours": 7}, on=NOV
    )
    assert (patrol.rule_code, patrol.amount) == ("P04", 5)
    assert (volunteer.rule_code, volunteer.amount) == ("P05", 6)
    assert "参加志愿服务 7 小时" in volunteer.sentence


def test_long_volunteer_day_is_limited_by_max_units(rules):
    award = score_activity(
        rules, activity_facts={"activity.type": "checkin", "event.kind": "volunteer", "event.hours": 20}, on=NOV
    )
    assert award.amount == 8


def test_volunteering_under_two_hours_earns_nothing_and_says_why(rules):
    award = score_activity(
        rules, activity_facts={"activity.type": "checkin", "event.kind": "volunteer", "event.hours": 1}, on=NOV
    )
    assert (award.amount, award.capped) == (0, False)
    assert "未达到计分单位" in award.explanation


def test_activity_no_rule_covers_earns_nothing(rules):
    assert score_activity(rules, activity_facts={"activity.type": "checkin", "event.kind": "meeting"}, on=NOV) is None
    assert score_activity(rules, activity_facts={"activity.type": "speak", "activity.approved": False}, on=NOV) is None


def test_rule_code_selects_a_rule_and_unknown_code_is_refused(rules):
    award = score_activity(rules, activity_facts={"activity.type": "manual"}, on=NOV, rule_code="P02")
    assert award.rule_code == "P02"
    with pytest.raises(RuleError, match="P99"):
        score_activity(rules, activity_facts={}, on=NOV, rule_code="P99")


def test_award_serialises_to_json_shapes(rules):
    data = score_activity(rules, activity_facts=PHOTO, on=NOV).to_dict()
    assert data["expires_on"] == "2027-12-31"
    assert data["earned_on"] == "2026-11-23"
    assert data["evidence"] == ["photo"]


def test_raw_dict_rule_sets_are_accepted():
    assert score_activity(points_set(), activity_facts={"activity.type": "lesson"}, on=NOV).amount == 3


@pytest.mark.parametrize(
    ("period", "key", "window"),
    [
        ("day", "2026-11-23", (date(2026, 11, 23), date(2026, 11, 23))),
        ("week", "2026-W48", (date(2026, 11, 23), date(2026, 11, 29))),
        ("month", "2026-11", (date(2026, 11, 1), date(2026, 11, 30))),
        ("year", "2026", (date(2026, 1, 1), date(2026, 12, 31))),
        ("ever", "ever", (date.min, date.max)),
        ("per_event", "event", (NOV, NOV)),
    ],
)
def test_cap_period_keys_and_windows(period, key, window):
    assert cap_period_key(period, NOV) == key
    assert cap_window(period, NOV) == window


def test_iso_week_key_at_year_boundary():
    assert cap_period_key("week", date(2027, 1, 1)) == "2026-W53"
    assert cap_window("week", date(2027, 1, 1)) == (date(2026, 12, 28), date(2027, 1, 3))


def test_points_expiry_policies():
    assert points_expiry_date({"type": "end_of_next_year"}, date(2026, 1, 1)) == date(2027, 12, 31)
    assert points_expiry_date({"type": "months", "months": 1}, date(2026, 1, 31)) == date(2026, 2, 28)
    assert points_expiry_date({"type": "never"}, NOV) is None
    with pytest.raises(RuleError):
        points_expiry_date({"type": "sometimes"}, NOV)


def test_once_only_cap(rules):
    data = points_set()
    data["rules"][1]["cap"] = {"period": "ever", "amount": 2}
    once = compile_rule_set(data)
    assert (
        score_activity(
            once, activity_facts={"activity.type": "vote"}, on=NOV, period_totals={("P02", "ever"): 2}
        ).amount
        == 0
    )


def test_activity_type_list_for_villagers(rules):
    described = {item["code"]: item for item in describe_points_rules(rules)}
    assert described["P01"]["amount_text"] == "1～5 分"
    assert described["P01"]["cap_text"] == "每月最多 20 分"
    assert described["P05"]["amount_text"] == "每 2 个单位 2 分"
    assert described["P02"]["activity_label"] == "点一点：民主评议投票"
