"""Whole-rule-set validation: schema fields plus cross-field checks, with Chinese messages per rule."""

import itertools
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from backend.rules.badges import METRICS
from backend.rules.conditions import validate_condition
from backend.rules.errors import RuleError, RuleSetInvalid
from backend.rules.events import activity_from_dict, credit_event_from_dict
from backend.rules.explain import unknown_placeholders
from backend.rules.facts import ACTIVITY_TYPES, EVIDENCE_KINDS
from backend.rules.participation import DEFAULT_CATEGORIES
from backend.rules.registry import GATE_EFFECTS, LIST_KINDS, effect_direction
from backend.rules.schema import TRANSLATIONS, RuleSetSchema

Errors = dict[str, Any]


def validate_rule_set(data: Any) -> Errors:
    """Nested Chinese error messages keyed by field and rule index; empty when the rule set is valid."""
    return _check(data)[1]


def load_rule_set(data: Any) -> dict:
    """The validated rule set with dates parsed; raises RuleSetInvalid with the nested messages."""
    loaded, errors = _check(data)
    if errors:
        raise RuleSetInvalid(errors)
    return loaded


def _check(data: Any) -> tuple[dict, Errors]:
    errors: Errors = {}
    try:
        loaded = RuleSetSchema().load(data)
    except ValidationError as error:
        errors = _stringify_keys(error.messages)
        loaded = error.valid_data if isinstance(error.valid_data, dict) else {}
    if isinstance(data, Mapping):
        _check_cross(loaded, errors)
        _label_messages(data, errors)
    return loaded, errors


def _stringify_keys(messages: Any) -> Any:
    if isinstance(messages, dict):
        return {str(key): _stringify_keys(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [TRANSLATIONS.get(m, m) if isinstance(m, str) else _stringify_keys(m) for m in messages]
    return TRANSLATIONS.get(messages, messages) if isinstance(messages, str) else messages


def _add(errors: Errors, path: tuple, message: str) -> None:
    node = errors
    for key in path[:-1]:
        node = node.setdefault(str(key), {})
        if not isinstance(node, dict):
            return
    messages = node.setdefault(str(path[-1]), [])
    if isinstance(messages, list) and message not in messages:
        messages.append(message)


def _check_cross(data: Mapping, errors: Errors) -> None:
    kind = data.get("kind")
    levels = [level for level in data.get("levels") or [] if "code" in level and "min" in level]
    level_codes = {level["code"] for level in levels}
    dimension_codes = {d.get("code") for d in data.get("dimensions") or []}
    if kind == "credit":
        _check_credit_bounds(data, errors)
    _check_levels(levels, errors)
    rule_codes = _check_rules(data, kind, level_codes, dimension_codes, errors)
    _check_gates(data.get("gates") or [], level_codes, rule_codes, errors)
    _check_golden(data.get("golden_tests") or [], kind, errors)
    _check_participation(data, kind, rule_codes, errors)


def rule_set_categories(data: Mapping) -> tuple[str, ...]:
    """The categories of a points rule set: its own list, or the six defaults."""
    return tuple(data.get("categories") or DEFAULT_CATEGORIES)


def _check_participation(data: Mapping, kind: str | None, rule_codes: set, errors: Errors) -> None:
    if kind != "points":
        for key in ("categories", "stars", "badges"):
            if data.get(key):
                _add(errors, (key,), "类别、参与星级和勋章只用于积分规则集")
        return
    categories = rule_set_categories(data)
    if len(set(categories)) != len(categories):
        _add(errors, ("categories",), "类别不能重复")
    for index, rule in enumerate(data.get("rules") or []):
        category = rule.get("category")
        if rule.get("target") in ("points", "both") and category not in categories:
            _add(errors, ("rules", index, "category"), f"类别应为以下之一：{'、'.join(categories)}")
    thresholds = (data.get("stars") or {}).get("thresholds") or []
    if not _ascending(thresholds):
        _add(errors, ("stars", "thresholds"), "参与星级的门槛须从低到高递增")
    seen: set[str] = set()
    for index, badge in enumerate(data.get("badges") or []):
        code = badge.get("code")
        if code in seen or code in rule_codes:
            _add(errors, ("badges", index, "code"), "编码与其他勋章或规则重复")
        seen.add(code)
        for field, message in _badge_problems(badge, categories):
            _add(errors, ("badges", index, field), message)


TIER_ORDER = ("bronze", "silver", "gold")


def _ascending(values: list) -> bool:
    return all(earlier < later for earlier, later in itertools.pairwise(values))


def _badge_problems(badge: Mapping, categories: tuple[str, ...]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    metric = badge.get("metric") or {}
    kind = METRICS.get(metric.get("type"))
    if kind is not None and badge.get("scope", "villager") not in kind.scopes:
        problems.append(
            ("scope", f"条件「{kind.label}」不适用于{'家庭' if badge.get('scope') == 'household' else '个人'}勋章")
        )
    for key, value in (("category", badge.get("category")), ("metric", metric.get("category"))):
        if value is not None and value not in categories:
            problems.append((key, f"类别 {value!r} 不在规则集的类别中"))
    if metric.get("activity_type") is not None and metric["activity_type"] not in ACTIVITY_TYPES:
        problems.append(("metric", f"未知活动类型 {metric['activity_type']!r}"))
    tiers = badge.get("tiers") or []
    ranks = [TIER_ORDER.index(tier["tier"]) for tier in tiers if tier.get("tier") in TIER_ORDER]
    if not _ascending(ranks):
        problems.append(("tiers", "等级须按铜、银、金的顺序排列且不重复"))
    thresholds = [tier.get("threshold", 0) for tier in tiers]
    if not _ascending(thresholds):
        problems.append(("tiers", "高一级的门槛须高于低一级"))
    if metric.get("type") == "categories_in_month" and thresholds and thresholds[-1] > len(categories):
        problems.append(("tiers", f"一个月最多只能参加 {len(categories)} 个类别"))
    return problems


def _check_credit_bounds(data: Mapping, errors: Errors) -> None:
    if not data.get("levels"):
        _add(errors, ("levels",), "信用规则集必须设置等级表")
    if not data.get("dimensions"):
        _add(errors, ("dimensions",), "信用规则集必须设置维度")
    low, high, base = data.get("min_score"), data.get("max_score"), data.get("base_score")
    if high is None:
        _add(errors, ("max_score",), "信用规则集必须设置分数上限")
        return
    if low is not None and low >= high:
        _add(errors, ("max_score",), f"分数上限 {high} 须大于下限 {low}")
    elif low is not None and base is not None and not low <= base <= high:
        _add(errors, ("base_score",), f"基础分 {base} 须在 {low} 至 {high} 之间")


def _check_levels(levels: list, errors: Errors) -> None:
    seen: set[str] = set()
    for index, level in enumerate(levels):
        if level["code"] in seen:
            _add(errors, ("levels", index, "code"), f"等级 {level['code']} 重复")
        seen.add(level["code"])
        if index and level["min"] >= levels[index - 1]["min"]:
            previous = levels[index - 1]
            _add(
                errors,
                ("levels", index, "min"),
                f"等级须按分数线从高到低排列：{level['code']} 的分数线 {level['min']} "
                f"须低于 {previous['code']} 的 {previous['min']}",
            )


def _check_rules(data: Mapping, kind: str | None, levels: set, dimensions: set, errors: Errors) -> set[str]:
    seen: dict[str, int] = {}
    for index, rule in enumerate(data.get("rules") or []):
        code = rule.get("code")
        if code in seen:
            _add(errors, ("rules", index, "code"), f"编码与第 {seen[code] + 1} 条规则重复")
        elif code:
            seen[code] = index
        for field, message in _rule_problems(rule, kind, levels, dimensions):
            _add(errors, ("rules", index, field), message)
    return set(seen)


def _rule_problems(rule: Mapping, kind: str | None, levels: set, dimensions: set) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    target, effect = rule.get("target"), rule.get("effect")
    direction = _direction_or_none(effect)
    if kind == "points" and target == "credit":
        problems.append(("target", "积分规则集中的规则应计入积分（points 或 both）"))
    if kind == "credit" and target == "points":
        problems.append(("target", "信用规则集中的规则应计入信用分（credit 或 both）"))
    if target in ("points", "both") and kind == "points":
        if not rule.get("activity_type"):
            problems.append(("activity_type", "积分规则必须指定活动类型"))
        if rule.get("validity_months") is not None:
            problems.append(("validity_months", "积分的到期由规则集的 points_expiry 决定，此处不填"))
        if direction is not None and direction <= 0:
            problems.append(("effect", "积分规则只能加分"))
    if target in ("credit", "both") and kind == "credit":
        dimension = rule.get("dimension")
        if not dimension:
            problems.append(("dimension", "信用规则必须指定维度"))
        elif dimension not in dimensions:
            problems.append(("dimension", f"维度 {dimension!r} 不在规则集的维度中"))
    if direction is not None and direction > 0 and "cap" in rule and rule["cap"] is None:
        problems.append(("cap", "加分项必须设置上限"))
    if effect and effect.get("type") == "level_cap":
        if kind != "credit":
            problems.append(("effect", "限制等级只用于信用规则集"))
        elif effect.get("level") not in levels:
            problems.append(("effect", f"等级 {effect.get('level')!r} 不在等级表中"))
    for key in unknown_placeholders(rule.get("sentence") or ""):
        problems.append(("sentence", f"未知占位符 {{{key}}}"))
    for item in rule.get("evidence") or []:
        if item not in EVIDENCE_KINDS:
            problems.append(("evidence", f"未知证据类型 {item!r}，可用：{'、'.join(EVIDENCE_KINDS)}"))
    return problems


def _direction_or_none(effect: Any) -> int | None:
    # A partly invalid effect (reported elsewhere) has no direction to reason about.
    try:
        return effect_direction(effect) if effect else None
    except (KeyError, TypeError):
        return None


def _check_gates(gates: list, levels: set, rule_codes: set, errors: Errors) -> None:
    for index, gate in enumerate(gates):
        when, effect = gate.get("when"), gate.get("effect")
        if when is not None:
            if set(when) == {"list"}:
                if not isinstance(when["list"], str) or when["list"] not in LIST_KINDS:
                    _add(errors, ("gates", index, "when"), f"未知名单 {when['list']!r}，可用：{'、'.join(LIST_KINDS)}")
            elif set(when) == {"condition"}:
                for message in validate_condition(when["condition"]):
                    _add(errors, ("gates", index, "when"), message)
            else:
                _add(errors, ("gates", index, "when"), "应为 {list: 名单} 或 {condition: 条件} 之一")
        if effect is not None:
            effect_type = effect.get("type")
            if not isinstance(effect_type, str) or effect_type not in GATE_EFFECTS:
                _add(
                    errors,
                    ("gates", index, "effect"),
                    f"未知的关卡效果 {effect_type!r}，可用：{'、'.join(GATE_EFFECTS)}",
                )
            elif effect_type == "cap_level" and str(effect.get("level")) not in levels:
                _add(errors, ("gates", index, "effect"), f"等级 {effect.get('level')!r} 不在等级表中")
        if gate.get("rule_code") and gate["rule_code"] not in rule_codes:
            _add(errors, ("gates", index, "rule_code"), f"规则 {gate['rule_code']} 不存在")


def _check_golden(tests: list, kind: str | None, errors: Errors) -> None:
    for index, test in enumerate(tests):
        expect = test.get("expect") or {}
        wanted = {key for key, value in expect.items() if value is not None}
        allowed = {"points"} if kind == "points" else {"score", "level", "blocks_redemption"}
        if "expect" in test and not wanted:
            _add(errors, ("golden_tests", index, "expect"), "至少填写一项期望结果")
        for key in sorted(wanted - allowed):
            _add(errors, ("golden_tests", index, "expect"), f"此类规则集不能期望 {key}")
        for position, event in enumerate(test.get("events") or []):
            problem = _golden_event_problem(event, kind)
            if problem:
                _add(errors, ("golden_tests", index, "events", position), problem)


def _golden_event_problem(event: Any, kind: str | None) -> str | None:
    if kind == "credit":
        try:
            credit_event_from_dict(event)
        except RuleError as error:
            return error.message
        return None
    try:
        activity_from_dict(event)
    except RuleError as error:
        return error.message
    return None


_PREFIXES = {"rules": "规则", "gates": "关卡", "levels": "等级", "golden_tests": "黄金用例", "badges": "勋章"}


def _label_messages(data: Mapping, errors: Errors) -> None:
    # Editors find "规则 H31：..." faster than an index, so each message names the item it is about.
    for section, noun in _PREFIXES.items():
        items = data.get(section)
        found = errors.get(section)
        if not isinstance(found, dict) or not isinstance(items, list):
            continue
        for key, node in found.items():
            if not key.isdigit():
                continue
            index = int(key)
            item = items[index] if index < len(items) else None
            name = item.get("name" if section == "golden_tests" else "code") if isinstance(item, Mapping) else None
            label = f"{noun} {name}" if isinstance(name, str) and name else f"第 {index + 1} 项{noun}"
            found[key] = _prefix(node, f"{label}：")


def _prefix(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {key: _prefix(value, prefix) for key, value in node.items()}
    if isinstance(node, list):
        return [prefix + item if isinstance(item, str) else _prefix(item, prefix) for item in node]
    return node
