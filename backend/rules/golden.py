"""Golden test cases stored in a rule set: expected outcomes that must hold before it is published."""

import dataclasses
from collections.abc import Mapping

from backend.rules.compiled import CompiledRuleSet, compile_rule_set
from backend.rules.credit import VersionTable, evaluate_credit
from backend.rules.errors import RuleError
from backend.rules.events import activity_from_dict
from backend.rules.periods import cap_period_key
from backend.rules.points import score_activity


def run_golden_tests(rule_set: Mapping | CompiledRuleSet) -> list[dict]:
    """Each golden test as `{name, passed, expected, actual}`; the set is treated as in force at all dates."""
    compiled = dataclasses.replace(compile_rule_set(rule_set), effective_from=None)
    results = []
    for test in compiled.data["golden_tests"]:
        expected = {key: value for key, value in test["expect"].items() if value is not None}
        try:
            actual = _run_one(compiled, test)
        except RuleError as error:
            actual = {"error": error.message}
        passed = all(actual.get(key) == value for key, value in expected.items())
        results.append({"name": test["name"], "passed": passed, "expected": expected, "actual": actual})
    return results


def _run_one(compiled: CompiledRuleSet, test: Mapping) -> dict:
    if compiled.kind == "credit":
        result = evaluate_credit(
            VersionTable([compiled]), test["events"], as_of=test["as_of"], villager_facts=test["villager"]
        )
        return {"score": result.score, "level": result.level, "blocks_redemption": result.blocks_redemption}
    return {"points": _points_total(compiled, test)}


def _points_total(compiled: CompiledRuleSet, test: Mapping) -> int:
    activities = sorted(
        (activity_from_dict(item) for item in test["events"]), key=lambda a: a["on"]
    )  # sorted() is stable, so same-day activities keep their listed order
    booked: dict[tuple[str, str], int] = {}
    total = 0
    for activity in activities:
        if activity["on"] > test["as_of"]:
            continue
        facts = {**test["villager"], **activity["facts"]}
        award = score_activity(
            compiled,
            activity_facts=facts,
            on=activity["on"],
            period_totals=booked,
            amount_override=activity["amount"],
            rule_code=activity["rule_code"],
        )
        if award is None or award.amount == 0:
            continue
        key = (award.rule_code, cap_period_key(award.cap_period, activity["on"]))
        booked[key] = booked.get(key, 0) + award.amount
        if award.expires_on is None or award.expires_on >= test["as_of"]:
            total += award.amount
    return total
