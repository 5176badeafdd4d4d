import pytest

from backend.rules import RuleSetInvalid, load_rule_set, validate_rule_set
from tests.unit.rules.factories import credit_set, points_set, rule_index


def test_demo_rule_sets_are_valid():
    assert validate_rule_set(credit_set()) == {}
    assert validate_rule_set(points_set()) == {}


def test_positive_rule_without_cap_is_refused_naming_rule_and_field():
    data = credit_set()
    index = rule_index(data, "H31")
    data["rules"][index]["cap"] = None
    assert validate_rule_set(data) == {"rules": {str(index): {"cap": ["规则 H31：加分项必须设置上限"]}}}


def test_field_errors_are_in_chinese_and_name_the_rule():
    data = credit_set()
    index = rule_index(data, "R02")
    data["rules"][index]["effect"]["amount"] = "five"
    del data["rules"][index]["sentence"]
    errors = validate_rule_set(data)["rules"][str(index)]
    assert errors["effect"] == {"amount": ["规则 R02：应为整数"]}
    assert errors["sentence"] == ["规则 R02：必填"]


def test_rule_without_a_code_is_named_by_position():
    data = credit_set()
    del data["rules"][0]["code"]
    assert validate_rule_set(data)["rules"]["0"]["code"] == ["第 1 项规则：必填"]


def test_duplicate_rule_codes_are_refused():
    data = credit_set()
    data["rules"][3]["code"] = "R01"
    assert validate_rule_set(data)["rules"]["3"]["code"] == ["规则 R01：编码与第 1 条规则重复"]


def test_levels_must_descend_strictly():
    data = credit_set()
    data["levels"][2]["min"] = 1000
    message = validate_rule_set(data)["levels"]["2"]["min"][0]
    assert message.startswith("等级 A：")
    assert "从高到低" in message


def test_base_score_must_lie_within_bounds():
    assert validate_rule_set(credit_set(base_score=1200)) == {"base_score": ["基础分 1200 须在 0 至 1100 之间"]}
    assert "须大于下限" in validate_rule_set(credit_set(min_score=1100))["max_score"][0]


def test_unknown_dimension_is_refused():
    data = credit_set()
    index = rule_index(data, "H42")
    data["rules"][index]["dimension"] = "kindness"
    assert validate_rule_set(data)["rules"][str(index)]["dimension"] == ["规则 H42：维度 'kindness' 不在规则集的维度中"]


def test_unknown_effect_and_cap_types_are_refused():
    data = credit_set()
    data["rules"][0]["effect"] = {"type": "decay", "amount": -5}
    data["rules"][1]["cap"] = {"period": "fortnight", "amount": 20}
    errors = validate_rule_set(data)["rules"]
    assert "未知的计分方式类型 'decay'" in errors["0"]["effect"]["type"][0]
    assert errors["0"]["effect"]["type"][0].startswith("规则 R01：")
    assert errors["1"]["cap"]["period"][0].startswith("规则 R02：上限周期应为以下之一")


def test_effect_parameters_are_checked_by_their_kind():
    data = points_set()
    data["rules"][0]["effect"] = {"type": "range", "min": 1, "max": 5, "default": 9}
    data["rules"][4]["effect"]["unit_fact"] = "event.kind"
    errors = validate_rule_set(data)["rules"]
    assert errors["0"]["effect"] == {"default": ["规则 P01：默认分值须在上下限之间"]}
    assert "不是数字" in errors["4"]["effect"]["unit_fact"][0]


def test_gates_referencing_unknown_levels_or_lists_are_refused():
    data = credit_set()
    data["gates"][1]["effect"]["level"] = "D"
    data["gates"][0]["when"] = {"list": "bank"}
    errors = validate_rule_set(data)["gates"]
    assert errors["1"]["effect"] == ["关卡 G02：等级 'D' 不在等级表中"]
    assert errors["0"]["when"][0].startswith("关卡 G01：未知名单 'bank'")


def test_level_cap_rule_must_name_a_known_level():
    data = credit_set()
    index = rule_index(data, "R12")
    data["rules"][index]["effect"]["level"] = "E"
    assert validate_rule_set(data)["rules"][str(index)]["effect"] == ["规则 R12：等级 'E' 不在等级表中"]


def test_points_rules_must_add_and_name_an_activity_type():
    data = points_set()
    data["rules"][1]["effect"]["amount"] = -2
    data["rules"][2]["activity_type"] = None
    data["rules"][3]["validity_months"] = 12
    errors = validate_rule_set(data)["rules"]
    assert errors["1"]["effect"] == ["规则 P02：积分规则只能加分"]
    assert errors["2"]["activity_type"] == ["规则 P03：积分规则必须指定活动类型"]
    assert "points_expiry" in errors["3"]["validity_months"][0]


def test_rule_kinds_must_match_the_set_kind():
    data = points_set()
    data["rules"][0]["target"] = "credit"
    assert "应计入积分" in validate_rule_set(data)["rules"]["0"]["target"][0]


def test_bad_condition_unknown_placeholder_and_evidence_are_reported():
    data = points_set()
    data["rules"][3]["condition"] = {"fact": "event.kind", "op": "gt", "value": "patrol"}
    data["rules"][3]["sentence"] = "{name} {bonus}"
    data["rules"][3]["evidence"] = ["selfie"]
    errors = validate_rule_set(data)["rules"]["3"]
    assert "不能使用运算符" in errors["condition"][0]
    assert errors["sentence"] == ["规则 P04：未知占位符 {bonus}"]
    assert "未知证据类型 'selfie'" in errors["evidence"][0]


def test_unknown_fields_and_bad_golden_tests_are_reported():
    data = credit_set(colour="red")
    data["golden_tests"][0]["expect"] = {"points": 3}
    data["golden_tests"][1]["events"][0]["occurred_on"] = "yesterday"
    errors = validate_rule_set(data)
    assert errors["colour"] == ["未知字段"]
    assert "不能期望 points" in errors["golden_tests"]["0"]["expect"][0]
    assert "occurred_on" in errors["golden_tests"]["1"]["events"]["0"][0]


def test_credit_set_needs_levels_dimensions_and_bounds():
    errors = validate_rule_set(credit_set(levels=[], dimensions=[], max_score=None))
    assert errors["levels"] == ["信用规则集必须设置等级表"]
    assert errors["dimensions"] == ["信用规则集必须设置维度"]
    assert errors["max_score"] == ["信用规则集必须设置分数上限"]


def test_not_an_object_is_refused():
    assert validate_rule_set(["rules"]) == {"_schema": ["应为对象"]}


def test_load_raises_with_the_nested_errors_and_parses_dates():
    data = credit_set()
    data["rules"][0]["cap"] = {"period": "month", "amount": 0}
    with pytest.raises(RuleSetInvalid) as raised:
        load_rule_set(data)
    assert raised.value.errors == {"rules": {"0": {"cap": {"amount": ["规则 R01：不能小于 1"]}}}}
    assert load_rule_set(credit_set())["effective_from"].isoformat() == "2026-01-01"
