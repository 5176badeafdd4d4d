"""Condition trees: `{fact, op, value}` leaves nested in `all` / `any` / `not`; validated and evaluated."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from backend.rules.facts import FACTS, OPERATOR_LABELS, Fact

# Editors build trees in a console; a bound stops a pasted tree from blowing the stack.
MAX_DEPTH = 8


def validate_condition(tree: Any) -> list[str]:
    """Chinese messages for everything wrong with a condition tree; empty when it is valid."""
    if tree is None:
        return []
    messages: list[str] = []
    _check_node(tree, "条件", 0, messages)
    return messages


def _check_node(node: Any, path: str, depth: int, out: list[str]) -> None:
    if depth > MAX_DEPTH:
        out.append(f"{path}：嵌套超过 {MAX_DEPTH} 层")
        return
    if not isinstance(node, Mapping):
        out.append(f"{path}：应为对象")
        return
    keys = set(node)
    if keys in ({"all"}, {"any"}):
        (group,) = keys
        children = node[group]
        if not isinstance(children, list) or not children:
            out.append(f"{path}.{group}：应为非空列表")
            return
        for index, child in enumerate(children):
            _check_node(child, f"{path}.{group}[{index}]", depth + 1, out)
        return
    if keys == {"not"}:
        _check_node(node["not"], f"{path}.not", depth + 1, out)
        return
    if keys != {"fact", "op", "value"}:
        out.append(f"{path}：应为 {{fact, op, value}}，或 all / any / not 之一")
        return
    _check_leaf(node, path, out)


def _check_leaf(node: Mapping, path: str, out: list[str]) -> None:
    fact = FACTS.get(node["fact"]) if isinstance(node["fact"], str) else None
    if fact is None:
        out.append(f"{path}：未知事实 {node['fact']!r}")
        return
    op = node["op"]
    if op not in fact.operators:
        allowed = "、".join(OPERATOR_LABELS[o] + f"({o})" for o in fact.operators)
        out.append(f"{path}：事实「{fact.label}」不能使用运算符 {op!r}，可用：{allowed}")
        return
    value = node["value"]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            out.append(f"{path}：运算符 {op} 的取值应为非空列表")
            return
        items = value
    elif op == "between":
        if not isinstance(value, list) or len(value) != 2:
            out.append(f"{path}：运算符 between 的取值应为 [下限, 上限]")
            return
        items = value
    else:
        items = [value]
    for item in items:
        problem = _value_problem(fact, item)
        if problem:
            out.append(f"{path}：{problem}")
            return
    if op == "between" and _coerce(fact, items[0]) > _coerce(fact, items[1]):
        out.append(f"{path}：between 的下限不能大于上限")


def _value_problem(fact: Fact, value: Any) -> str | None:
    label = fact.label
    if fact.type == "bool" and not isinstance(value, bool):
        return f"「{label}」的取值应为 true 或 false"
    if fact.type == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"「{label}」的取值应为数字"
    if fact.type == "string" and not isinstance(value, str):
        return f"「{label}」的取值应为文本"
    if fact.type == "enum" and (not isinstance(value, str) or value not in dict(fact.choices)):
        allowed = "、".join(choice for choice, _ in fact.choices)
        return f"「{label}」的取值 {value!r} 不在可选项中（{allowed}）"
    if fact.type == "date":
        try:
            _coerce(fact, value)
        except (TypeError, ValueError):
            return f"「{label}」的取值应为日期，如 2026-01-01"
    return None


def _coerce(fact: Fact, value: Any) -> Any:
    if fact.type == "date" and not isinstance(value, date):
        return date.fromisoformat(value)
    return value


def evaluate_condition(tree: Any, facts: Mapping[str, Any]) -> bool:
    """Whether a (validated) condition holds for `facts`; a missing fact makes its leaf false."""
    if tree is None:
        return True
    if "all" in tree:
        return all(evaluate_condition(child, facts) for child in tree["all"])
    if "any" in tree:
        return any(evaluate_condition(child, facts) for child in tree["any"])
    if "not" in tree:
        return not evaluate_condition(tree["not"], facts)
    return _evaluate_leaf(tree, facts)


def _evaluate_leaf(leaf: Mapping, facts: Mapping[str, Any]) -> bool:
    code = leaf["fact"]
    if code not in facts or facts[code] is None:
        return False
    fact = FACTS[code]
    actual = _coerce(fact, facts[code])
    op, value = leaf["op"], leaf["value"]
    try:
        if op == "eq":
            return actual == _coerce(fact, value)
        if op == "ne":
            return actual != _coerce(fact, value)
        if op == "in":
            return actual in [_coerce(fact, item) for item in value]
        if op == "not_in":
            return actual not in [_coerce(fact, item) for item in value]
        if op == "between":
            return _coerce(fact, value[0]) <= actual <= _coerce(fact, value[1])
        bound = _coerce(fact, value)
        return {"gt": actual > bound, "gte": actual >= bound, "lt": actual < bound, "lte": actual <= bound}[op]
    except TypeError:
        # A fact of the wrong type (text where a number is due) cannot satisfy a comparison.
        return False
