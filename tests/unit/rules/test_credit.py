import json
from datetime import date, timedelta

import pytest

from backend.rules import CreditEvent, RuleError, compile_rule_set, evaluate_credit
from tests.unit.rules.factories import credit_set, event, rule_index

AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def v1():
    # In force at all dates, so that old events can show expiry.
    return compile_rule_set(credit_set(effective_from=None))


def score(rules, events, **kwargs):
    return evaluate_credit([rules], events, as_of=kwargs.pop("as_of", AS_OF), **kwargs)


def test_villager_without_records_has_base_score_and_is_told_how_to_rise(v1):
    result = score(v1, [])
    assert (result.score, result.level, result.base) == (1000, "AA", 1000)
    assert (result.next_level, result.points_to_next_level) == ("AAA", 50)
    assert [reason.kind for reason in result.reasons] == ["opportunity"] * 4
    assert result.reasons[0].code == "H41"
    assert result.reasons[0].advice == "见义勇为，经镇级以上认定，本次还可加 50 分"


def test_deduction_shows_as_a_line_in_its_dimension_with_a_sentence(v1):
    result = score(v1, [event(1, "R03", date(2026, 3, 5))], villager_facts={"villager.name": "王五"})
    (line,) = result.lines
    assert (line.amount, line.status, line.dimension, line.version) == (-10, "counted", "compliance", 1)
    assert line.sentence == "王五于2026年3月5日焚烧秸秆、垃圾，扣 10 分"
    assert line.stops_on == date(2028, 3, 5)
    dims = {d.code: d for d in result.dimensions}
    assert (dims["compliance"].score, dims["compliance"].label) == (-10, "遵规守约")
    assert dims["family"].score == 0


def test_monthly_cap_bounds_total_deduction_and_is_reported(v1):
    events = [event(i, "R02", date(2026, 3, i)) for i in range(1, 6)]
    result = score(v1, events)
    assert result.score == 980
    assert [line.status for line in result.lines] == ["counted"] * 4 + ["capped"]
    (cap,) = result.caps_applied
    assert (cap.rule_code, cap.period, cap.period_key, cap.cap, cap.cut, cap.event_ids) == (
        "R02",
        "month",
        "2026-03",
        20,
        5,
        (5,),
    )


def test_next_month_has_a_fresh_cap(v1):
    events = [event(i, "R02", date(2026, 3, i)) for i in range(1, 6)] + [event(9, "R02", date(2026, 4, 1))]
    assert score(v1, events).score == 975


def test_per_unit_credit_uses_event_facts_and_quantity(v1):
    by_fact = score(v1, [event(1, "H31", facts={"event.hours": 7})])
    by_quantity = score(v1, [event(1, "H31", quantity=4)])
    assert (by_fact.score, by_quantity.score) == (1006, 1004)
    assert "参加志愿服务 7 小时" in by_fact.lines[0].sentence


def test_deduction_stops_counting_after_24_months_and_addition_after_12(v1):
    events = [event(1, "R01", date(2024, 5, 1)), event(2, "H33", date(2025, 5, 1))]
    result = score(v1, events)
    assert result.score == 1000
    assert [line.status for line in result.expired] == ["expired", "expired"]
    assert score(v1, events, as_of=date(2025, 6, 1)).score == 960


def test_event_in_notice_window_is_pending_not_counted(v1):
    pending = event(1, "R04", date(2026, 5, 28), counts_from=date(2026, 6, 4))
    result = score(v1, [pending])
    assert result.score == 1000
    assert [(line.status, line.nominal_amount, line.amount) for line in result.pending] == [("pending", -30, 0)]
    assert score(v1, [pending], as_of=date(2026, 6, 4)).score == 970


def test_frozen_and_revoked_events_do_not_count(v1):
    events = [event(1, "R04", status="frozen"), event(2, "R01", status="revoked")]
    result = score(v1, events)
    assert result.score == 1000
    assert [line.status for line in result.lines] == ["frozen", "revoked"]


def test_repair_restores_the_score_once_it_counts(v1):
    target = event(1, "R04", date(2026, 1, 5))
    repair = CreditEvent(id=2, kind="repair", target_id=1, occurred_on=date(2026, 4, 1))
    result = score(v1, [target, repair])
    assert result.score == 1000
    assert [line.status for line in result.lines] == ["repaired", "counted"]
    assert [(r.repair_id, r.target_id, r.rule_code, r.restored) for r in result.repairs] == [(2, 1, "R04", -30)]
    late_repair = CreditEvent(
        id=2, kind="repair", target_id=1, occurred_on=date(2026, 4, 1), counts_from=date(2026, 7, 1)
    )
    assert score(v1, [target, late_repair]).score == 970


def test_repaired_event_frees_its_share_of_the_cap(v1):
    events = [event(i, "R02", date(2026, 3, i)) for i in range(1, 6)]
    repair = CreditEvent(id=9, kind="repair", target_id=1, occurred_on=date(2026, 4, 1))
    result = score(v1, [*events, repair])
    assert result.score == 980
    assert result.caps_applied == ()


def test_event_is_scored_under_the_version_in_force_on_its_date():
    v1 = credit_set(version=1, effective_from="2026-01-01")
    v2 = credit_set(version=2, effective_from="2026-06-01")
    v2["rules"][rule_index(v2, "R02")]["effect"]["amount"] = -8
    v2["levels"][1]["min"] = 980
    events = [event(1, "R02", date(2026, 3, 1)), event(2, "R02", date(2026, 7, 1))]
    result = evaluate_credit([v2, v1], events, as_of=date(2026, 8, 1))
    assert [(line.version, line.amount) for line in result.lines] == [(1, -5), (2, -8)]
    assert (result.version, result.score, result.level) == (2, 987, "AA")
    before = evaluate_credit([v2, v1], events, as_of=date(2026, 5, 1))
    assert (before.version, before.score, before.level) == (1, 995, "A")


def test_events_before_the_first_version_and_unknown_rules_are_ignored_with_a_note(v1):
    rules = credit_set(effective_from="2026-01-01")
    events = [event(1, "R02", date(2025, 12, 1)), event(2, "R99", date(2026, 2, 1))]
    result = evaluate_credit([rules], events, as_of=AS_OF)
    assert result.score == 1000
    assert [line.status for line in result.lines] == ["ignored", "ignored"]
    assert "早于" in result.lines[0].note
    assert "R99" in result.lines[1].note


def test_honour_below_town_level_does_not_earn_the_bravery_bonus(v1):
    result = score(v1, [event(1, "H41", facts={"honour.level": "village"})])
    assert result.score == 1000
    assert "条件" in result.lines[0].note


def test_no_version_in_force_is_an_error():
    with pytest.raises(RuleError, match="尚无生效"):
        evaluate_credit([credit_set(effective_from="2027-01-01")], [], as_of=AS_OF)
    with pytest.raises(RuleError):
        evaluate_credit([], [], as_of=AS_OF)


def test_score_is_clamped_to_bounds_and_clamping_is_reported(v1):
    bravery = [event(i, "H41", date(2026, i, 1), facts={"honour.level": "county"}) for i in range(1, 5)]
    high = score(v1, bravery)
    assert (high.raw_score, high.score, high.clamped, high.level, high.next_level) == (1200, 1100, "max", "AAA", None)
    assert high.reasons == ()
    codes = ["R01", "R04", "R21", "R41"] * 10
    violations = [event(i, code, date(2026, 1, 1) + timedelta(days=i)) for i, code in enumerate(codes)]
    low = score(v1, violations)
    assert (low.raw_score, low.score, low.clamped, low.level) == (-600, 0, "min", "C")


def test_court_list_entry_caps_level_at_c_and_blocks_redemption_until_it_ends(v1):
    entry = CreditEvent(
        id=7,
        kind="dishonesty",
        rule_code="R12",
        list_kind="court",
        occurred_on=date(2026, 3, 1),
        ends_on=date(2026, 12, 31),
        source="县人民法院",
    )
    bravery = event(1, "H41", date(2026, 2, 1), facts={"honour.level": "town"})
    result = score(v1, [bravery, entry])
    assert (result.score, result.level_before_gates, result.level, result.blocks_redemption) == (1050, "AAA", "C", True)
    assert {(g.code, g.effect, g.level, g.source, g.binding) for g in result.gates} == {
        ("R12", "cap_level", "C", 7, True),
        ("G01", "block_redemption", None, 7, False),
    }
    assert result.reasons[0].kind == "gate"
    assert result.reasons[0].sentence == "R12 列入法院失信被执行人名单，等级最高为 C"
    after = score(v1, [bravery, entry], as_of=date(2027, 1, 1))
    assert (after.level, after.blocks_redemption) == ("AAA", False)
    assert after.lines[1].status == "expired"


def test_roster_court_flag_applies_the_condition_gates(v1):
    result = score(v1, [], villager_facts={"villager.on_court_list": True})
    assert (result.level, result.blocks_redemption) == ("C", True)
    assert {g.source for g in result.gates} == {"villager"}


def test_reasons_are_ordered_by_impact_and_limited_to_four(v1):
    events = [
        event(1, "R02", date(2026, 3, 1)),
        event(2, "R01", date(2026, 3, 2)),
        event(3, "R03", date(2026, 3, 3)),
        event(4, "R11", date(2026, 3, 4)),
        event(5, "R04", date(2026, 3, 5)),
        event(6, "R02", date(2026, 3, 6)),
    ]
    result = score(v1, events)
    assert [(r.code, r.impact) for r in result.reasons] == [("R01", 50), ("R04", 30), ("R11", 20), ("R02", 10)]
    assert result.reasons[3].sentence == "R02 乱倒垃圾、乱堆乱放 扣 10 分，将于 2028年2月29日 后不再计入"
    assert result.reasons[3].advice == "改正后可申请信用修复"


def test_events_given_as_dicts_are_accepted_and_result_is_json_able(v1):
    events = [{"id": "e1", "rule_code": "R02", "occurred_on": "2026-03-01"}]
    data = score(v1, events).to_dict()
    json.dumps(data, ensure_ascii=False)
    assert data["lines"][0]["occurred_on"] == "2026-03-01"
    assert data["score"] == 995
    assert data["expired"] == [] and data["pending"] == []


def test_bad_event_dict_is_refused_in_chinese(v1):
    with pytest.raises(RuleError, match="未知字段"):
        score(v1, [{"id": 1, "rule_code": "R02", "occurred_on": "2026-03-01", "points": 3}])
    with pytest.raises(RuleError, match="target_id"):
        score(v1, [{"id": 1, "kind": "repair", "occurred_on": "2026-03-01"}])
