import random
from datetime import date, timedelta

import pytest

from backend.rules import (
    DEMO_RULE_SETS,
    CreditEvent,
    RuleError,
    load_demo_rule_set,
    run_golden_tests,
    simulate_rule_set,
)
from tests.unit.rules.factories import credit_set, event, points_set, rule_index

AS_OF = date(2026, 6, 1)


@pytest.mark.parametrize("name", DEMO_RULE_SETS)
def test_demo_rule_set_golden_tests_all_pass(name):
    results = run_golden_tests(load_demo_rule_set(name))
    assert results
    assert [r["name"] for r in results if not r["passed"]] == []


def test_unknown_demo_rule_set_is_refused():
    with pytest.raises(RuleError, match="credit_qt"):
        load_demo_rule_set("nope")


def test_failing_golden_test_reports_expected_and_actual():
    data = credit_set()
    data["golden_tests"][1]["expect"] = {"score": 990, "level": "A"}
    result = run_golden_tests(data)[1]
    assert result["passed"] is False
    assert result["expected"] == {"score": 990, "level": "A"}
    assert result["actual"]["score"] == 980


def test_golden_points_test_with_out_of_range_amount_fails_with_the_reason():
    data = points_set()
    data["golden_tests"][1]["events"][0]["amount"] = 9
    result = run_golden_tests(data)[1]
    assert result["passed"] is False
    assert "超出允许范围" in result["actual"]["error"]


def _draft_with_harsher_littering():
    draft = credit_set(version=2)
    draft["rules"][rule_index(draft, "R02")]["effect"]["amount"] = -20
    draft["rules"][rule_index(draft, "R02")]["cap"]["amount"] = 60
    return draft


def test_simulation_reports_changes_matrix_fires_and_silent_rules():
    population = {
        "p1": ({}, [event(1, "R02", date(2026, 3, 1))]),
        "p2": ({}, [event(1, "H33", date(2026, 3, 1)), event(2, "H32", date(2026, 3, 2))]),
        "p3": ({"villager.on_court_list": True}, []),
    }
    result = simulate_rule_set(_draft_with_harsher_littering(), credit_set(), population, as_of=AS_OF)
    people = {p.person_id: p for p in result.people}
    assert (people["p1"].old_score, people["p1"].old_level, people["p1"].new_score, people["p1"].new_level) == (
        995,
        "A",
        980,
        "A",
    )
    assert people["p1"].delta == -15
    assert people["p2"].delta == 0
    assert result.level_matrix == {"A": {"A": 1}, "AA": {"AA": 1}, "C": {"C": 1}}
    assert result.rule_fires == {
        "H32": {"count": 1, "total": 3},
        "H33": {"count": 1, "total": 10},
        "R02": {"count": 1, "total": -20},
    }
    assert "R01" in result.silent_rules
    assert "R02" not in result.silent_rules
    assert all(g["passed"] for g in result.golden if g["name"] != "同月乱倒垃圾 5 次最多扣 20 分")
    assert result.summary == {"people": 3, "changed": 1, "up": 0, "down": 1, "level_changed": 0, "level_up": 0}
    assert result.to_dict()["as_of"] == "2026-06-01"


def test_simulation_level_change_is_counted():
    population = {"p1": ({}, [event(i, "R02", date(2026, 3, i)) for i in (1, 2, 3)])}
    result = simulate_rule_set(_draft_with_harsher_littering(), credit_set(), population, as_of=AS_OF)
    assert result.level_matrix == {"A": {"B": 1}}
    assert result.summary["level_changed"] == 1


def test_simulation_of_points_sets_is_refused():
    with pytest.raises(RuleError, match="信用规则集"):
        simulate_rule_set(points_set(), points_set(), {}, as_of=AS_OF)


def test_simulation_handles_a_village_of_three_thousand():
    rng = random.Random(7)
    codes = [rule["code"] for rule in credit_set()["rules"] if rule["code"] != "R12"]
    population = {
        person: (
            {},
            [
                CreditEvent(
                    id=f"{person}-{i}",
                    rule_code=rng.choice(codes),
                    occurred_on=date(2025, 1, 1) + timedelta(days=rng.randrange(500)),
                    facts={"event.hours": rng.randrange(1, 9), "honour.level": "town"},
                )
                for i in range(30)
            ],
        )
        for person in range(3000)
    }
    result = simulate_rule_set(_draft_with_harsher_littering(), credit_set(), population, as_of=AS_OF)
    assert result.summary["people"] == 3000
    assert sum(sum(row.values()) for row in result.level_matrix.values()) == 3000
    assert result.rule_fires["R02"]["count"] > 0
