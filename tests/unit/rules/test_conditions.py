from datetime import date

from backend.rules import evaluate_condition, export_catalogue, render_sentence, validate_condition


def test_valid_nested_condition_has_no_messages():
    tree = {
        "all": [
            {"fact": "activity.type", "op": "eq", "value": "checkin"},
            {
                "any": [
                    {"fact": "event.hours", "op": "between", "value": [2, 8]},
                    {"not": {"fact": "villager.age", "op": "lt", "value": 18}},
                ]
            },
        ]
    }
    assert validate_condition(tree) == []


def test_unknown_fact_is_named():
    (message,) = validate_condition({"fact": "activity.tpye", "op": "eq", "value": "vote"})
    assert "未知事实" in message
    assert "activity.tpye" in message


def test_ordering_operator_on_yes_no_fact_is_refused_with_the_allowed_list():
    (message,) = validate_condition({"fact": "villager.on_court_list", "op": "gt", "value": True})
    assert "不能使用运算符" in message
    assert "等于(eq)" in message


def test_value_of_wrong_type_is_refused():
    assert "应为数字" in validate_condition({"fact": "event.hours", "op": "gte", "value": "2"})[0]
    assert "不在可选项中" in validate_condition({"fact": "activity.type", "op": "eq", "value": "dance"})[0]
    assert "应为日期" in validate_condition({"fact": "event.date", "op": "gt", "value": "soon"})[0]
    assert "非空列表" in validate_condition({"fact": "event.kind", "op": "in", "value": []})[0]
    assert "下限不能大于上限" in validate_condition({"fact": "villager.age", "op": "between", "value": [60, 18]})[0]


def test_expressions_and_extra_keys_are_refused():
    assert validate_condition({"fact": "villager.age", "op": "gt", "value": 1, "code": "__import__('os')"})
    assert validate_condition({"all": []})
    assert validate_condition("villager.age > 60")


def test_deep_nesting_is_bounded():
    tree = {"fact": "villager.age", "op": "gt", "value": 1}
    for _ in range(12):
        tree = {"not": tree}
    assert "嵌套超过" in validate_condition(tree)[0]


def test_evaluation_follows_operators():
    facts = {"event.hours": 5, "event.kind": "volunteer", "event.date": date(2026, 3, 1), "villager.age": 70}
    assert evaluate_condition({"fact": "event.hours", "op": "between", "value": [2, 5]}, facts)
    assert evaluate_condition({"fact": "event.kind", "op": "in", "value": ["patrol", "volunteer"]}, facts)
    assert not evaluate_condition({"fact": "event.kind", "op": "not_in", "value": ["volunteer"]}, facts)
    assert evaluate_condition({"fact": "event.date", "op": "gte", "value": "2026-01-01"}, facts)
    assert evaluate_condition(
        {
            "any": [
                {"fact": "villager.age", "op": "lt", "value": 18},
                {"fact": "villager.age", "op": "gte", "value": 60},
            ]
        },
        facts,
    )
    assert evaluate_condition({"not": {"fact": "event.hours", "op": "gt", "value": 8}}, facts)
    assert evaluate_condition(None, facts)


def test_missing_fact_makes_a_leaf_false_even_for_not_equal():
    assert not evaluate_condition({"fact": "event.kind", "op": "ne", "value": "patrol"}, {})
    assert not evaluate_condition({"fact": "event.hours", "op": "gt", "value": 1}, {"event.hours": "many"})


def test_catalogue_lists_facts_with_labels_types_and_operators():
    catalogue = export_catalogue()
    facts = {fact["code"]: fact for fact in catalogue["facts"]}
    assert facts["event.hours"]["type"] == "number"
    assert "between" in facts["event.hours"]["operators"]
    assert facts["villager.on_court_list"]["operators"] == ["eq", "ne"]
    assert facts["villager.age"]["label"] == "年龄"
    assert {"value": "photo", "label": "拍一拍：随手拍"} in facts["activity.type"]["choices"]
    assert {kind["code"] for kind in catalogue["effect_types"]} == {"fixed", "per_unit", "range", "level_cap"}
    assert {kind["code"] for kind in catalogue["cap_periods"]} >= {"day", "week", "month", "year", "ever", "per_event"}


def test_sentence_keeps_unknown_placeholders_and_never_walks_attributes():
    template = "{name}于{date}扣 {amount} 分 {unknown} {amount.__class__} {0}"
    text = render_sentence(template, {"name": "张三", "date": date(2026, 11, 3), "amount": 10})
    assert text == "张三于2026年11月3日扣 10 分 {unknown} {amount.__class__} {0}"
