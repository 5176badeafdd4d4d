"""Pure points scoring: which rule an activity earns under, how much, after caps, and until when."""

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from backend.rules.compiled import CompiledRuleSet, Rule, compile_rule_set
from backend.rules.conditions import evaluate_condition
from backend.rules.errors import RuleError
from backend.rules.explain import render_sentence
from backend.rules.facts import ACTIVITY_TYPES
from backend.rules.periods import CAP_PERIODS, cap_period_key, cap_window
from backend.rules.registry import compute_effect, points_expiry_date

# What the caller already booked per (rule code, cap period key), or a function the caller answers with
# (rule_code, period_key, window_start, window_end) -> points already earned in that window.
PeriodTotals = Mapping[tuple[str, str], int] | Callable[[str, str, date, date], int] | None


@dataclass(frozen=True, slots=True)
class PointsAward:
    """The points one activity earns; `amount` is what to book, `uncapped_amount` what the rule alone gives."""

    rule_code: str
    rule_set_version: int
    activity_type: str | None
    title: str
    amount: int
    uncapped_amount: int
    capped: bool
    cap_period: str
    cap_period_key: str
    cap_amount: int
    already_earned: int
    earned_on: date
    expires_on: date | None
    sentence: str
    explanation: str | None
    evidence: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-able form (dates as ISO strings)."""
        data = asdict(self)
        data["earned_on"] = self.earned_on.isoformat()
        data["expires_on"] = self.expires_on.isoformat() if self.expires_on else None
        data["evidence"] = list(self.evidence)
        return data


def match_rule(
    rule_set: Mapping | CompiledRuleSet, facts: Mapping[str, Any], *, rule_code: str | None = None
) -> Rule | None:
    """The first points rule (in rule order) whose activity type and condition match `facts`."""
    compiled = compile_rule_set(rule_set)
    activity_type = facts.get("activity.type")
    for rule in compiled.rules:
        if not rule.moves_points or (rule_code is not None and rule.code != rule_code):
            continue
        if rule.activity_type is not None and rule.activity_type != activity_type and rule_code is None:
            continue
        if evaluate_condition(rule.condition, facts):
            return rule
    return None


def score_activity(
    rule_set: Mapping | CompiledRuleSet,
    *,
    activity_facts: Mapping[str, Any],
    on: date,
    period_totals: PeriodTotals = None,
    amount_override: int | None = None,
    rule_code: str | None = None,
) -> PointsAward | None:
    """Points earned by one activity on `on`, capped by what was already earned; None when no rule matches.

    `rule_code` forces one rule (its condition must still hold), e.g. for a committee's manual award.
    Raises RuleError when `amount_override` lies outside a range rule or the rule has a fixed amount.
    """
    compiled = compile_rule_set(rule_set)
    if rule_code is not None and rule_code not in compiled.rules_by_code:
        raise RuleError(f"规则 {rule_code} 不存在")
    rule = match_rule(compiled, activity_facts, rule_code=rule_code)
    if rule is None:
        return None
    uncapped = compute_effect(rule.effect, activity_facts, 1, amount_override)
    cap = rule.cap or {"period": "per_event", "amount": uncapped}
    period, limit = cap["period"], cap["amount"]
    key = cap_period_key(period, on)
    already = _already_earned(period_totals, rule.code, period, key, on) if CAP_PERIODS[period].accumulates else 0
    amount = max(0, min(uncapped, limit - already))
    expires_on = points_expiry_date(compiled.points_expiry, on)
    values = {
        "name": activity_facts.get("villager.name"),
        "amount": amount,
        "date": on,
        "code": rule.code,
        "title": rule.title,
        "units": activity_facts.get(rule.effect.get("unit_fact", ""), 1),
        "expires_on": expires_on,
    }
    return PointsAward(
        rule_code=rule.code,
        rule_set_version=compiled.version,
        activity_type=rule.activity_type,
        title=rule.title,
        amount=amount,
        uncapped_amount=uncapped,
        capped=amount < uncapped,
        cap_period=period,
        cap_period_key=key,
        cap_amount=limit,
        already_earned=already,
        earned_on=on,
        expires_on=expires_on,
        sentence=render_sentence(rule.sentence, values),
        explanation=_explain(rule, period, limit, already, amount, uncapped),
        evidence=rule.evidence,
    )


def _already_earned(totals: PeriodTotals, code: str, period: str, key: str, on: date) -> int:
    if totals is None:
        return 0
    if callable(totals):
        start, end = cap_window(period, on)
        return int(totals(code, key, start, end))
    return int(totals.get((code, key), 0))


def _explain(rule: Rule, period: str, limit: int, already: int, amount: int, uncapped: int) -> str | None:
    when = CAP_PERIODS[period]
    if uncapped == 0:
        return f"「{rule.title}」未达到计分单位，本次不加分"
    if amount == 0:
        return f"{when.adjective}「{rule.title}」已得 {already} 分，达到{when.label} {limit} 分的上限，本次不再加分"
    if amount < uncapped:
        return f"{when.adjective}「{rule.title}」已得 {already} 分，{when.label}上限 {limit} 分，本次只加 {amount} 分"
    return None


def describe_points_rules(rule_set: Mapping | CompiledRuleSet) -> list[dict]:
    """What earns points under this set and how many, for the villager's activity-type list."""
    compiled = compile_rule_set(rule_set)
    described = []
    for rule in compiled.rules:
        if not rule.moves_points:
            continue
        effect = rule.effect
        if effect["type"] == "range":
            amount_text = f"{effect['min']}～{effect['max']} 分"
        elif effect["type"] == "per_unit":
            amount_text = f"每 {effect['unit_size']} 个单位 {effect['amount']} 分"
        else:
            amount_text = f"{effect['amount']} 分"
        cap = rule.cap
        described.append(
            {
                "code": rule.code,
                "activity_type": rule.activity_type,
                "activity_label": ACTIVITY_TYPES.get(rule.activity_type or "", ""),
                "title": rule.title,
                "amount_text": amount_text,
                "cap_text": f"{CAP_PERIODS[cap['period']].label}最多 {cap['amount']} 分" if cap else "",
                "evidence": list(rule.evidence),
            }
        )
    return described


__all__ = ["PointsAward", "cap_period_key", "cap_window", "describe_points_rules", "points_expiry_date"]
