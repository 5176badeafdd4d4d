"""Rule templates of a town or city: which amounts a village may change, applying its changes, and what differs.

A template is an ordinary rule set document plus `allowed`: for some rules, the range a village may move the
rule's amount within (`{"P04": {"min": 3, "max": 8}}`). A village's version of a template is the template's
document with its own amounts (each within range) and extra rules of its own (codes the template does not use).
"""

import copy
from collections.abc import Mapping
from typing import Any

# Which number of an effect a village may change; the other kinds (a reviewer's range, a level cap) are the
# template's to set. A new effect kind that should be adjustable adds one line here.
ADJUSTABLE = {"fixed": "amount", "per_unit": "amount"}

# Settings a village sees compared beside the rules when a template changes.
SETTINGS = ("name", "base_score", "min_score", "max_score", "levels", "dimensions", "gates", "points_expiry")
RULE_FIELDS = ("title", "category", "dimension", "target", "activity_type", "condition", "effect", "cap")
RULE_FIELDS += ("validity_months", "sentence", "evidence")


def _rules(document: Mapping) -> dict[str, Mapping]:
    return {rule.get("code"): rule for rule in document.get("rules") or [] if isinstance(rule, Mapping)}


def adjustable_amount(rule: Mapping) -> int | None:
    """The amount a village may change in this rule, or None when its effect has none."""
    effect = rule.get("effect") or {}
    key = ADJUSTABLE.get(effect.get("type"))
    return effect.get(key) if key else None


def check_allowed(document: Mapping, allowed: Mapping) -> dict:
    """Errors (by rule code) in a template's allowed ranges; empty when every range fits its rule."""
    rules = _rules(document)
    errors: dict[str, list[str]] = {}
    for code, span in allowed.items():
        rule = rules.get(code)
        amount = adjustable_amount(rule) if rule is not None else None
        low, high = (span or {}).get("min"), (span or {}).get("max")
        if rule is None:
            errors[code] = ["模板中没有这条规则。"]
        elif amount is None:
            errors[code] = ["这条规则的分值不能由村调整（只有固定分值和按单位计分可以）。"]
        elif not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
            errors[code] = ["允许范围须为整数 min 和 max。"]
        elif not low <= amount <= high:
            errors[code] = ["模板自身的分值须在允许范围之内。"]
        elif (low > 0) != (high > 0) or low == 0 or high == 0:
            errors[code] = ["允许范围须同为加分或同为扣分，且不含 0。"]
    return errors


def apply_overrides(
    document: Mapping, allowed: Mapping, *, amounts: Mapping[str, Any], extra_rules: list
) -> tuple[dict, dict]:
    """(the village's document, errors): the template with the village's amounts and extra rules."""
    result = copy.deepcopy(dict(document))
    rules = _rules(result)
    errors: dict[str, dict] = {}
    amount_errors: dict[str, list[str]] = {}
    for code, amount in amounts.items():
        span = allowed.get(code)
        if code not in rules:
            amount_errors[code] = ["模板中没有这条规则。"]
        elif span is None:
            amount_errors[code] = ["模板不允许调整这条规则的分值。"]
        elif not isinstance(amount, int) or isinstance(amount, bool) or not span["min"] <= amount <= span["max"]:
            amount_errors[code] = ["分值须为模板允许范围内的整数。"]
        else:
            effect = rules[code]["effect"]
            effect[ADJUSTABLE[effect["type"]]] = amount
    if amount_errors:
        errors["amounts"] = amount_errors
    clashes = sorted(
        {rule.get("code") for rule in extra_rules if isinstance(rule, Mapping) and rule.get("code") in rules}
    )
    if clashes:
        errors["extra_rules"] = {code: ["与模板规则编码重复，请换一个编码。"] for code in clashes}
    result["rules"] = [*result.get("rules", []), *copy.deepcopy(list(extra_rules))]
    return result, errors


def diff_rule_sets(old: Mapping, new: Mapping) -> dict:
    """What changed from `old` to `new`: rules added, removed and changed (field by field), and settings."""
    before, after = _rules(old), _rules(new)
    changed = []
    for code in sorted(before.keys() & after.keys()):
        fields = {
            name: {"from": before[code].get(name), "to": after[code].get(name)}
            for name in RULE_FIELDS
            if before[code].get(name) != after[code].get(name)
        }
        if fields:
            changed.append({"code": code, "title": after[code].get("title"), "fields": fields})
    settings = {
        name: {"from": old.get(name), "to": new.get(name)} for name in SETTINGS if old.get(name) != new.get(name)
    }
    return {
        "added": [{"code": c, "title": after[c].get("title")} for c in sorted(after.keys() - before.keys())],
        "removed": [{"code": c, "title": before[c].get("title")} for c in sorted(before.keys() - after.keys())],
        "changed": changed,
        "settings": settings,
    }
