"""Dry-run a draft credit rule set against the published one over a whole village."""

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from backend.rules.compiled import CompiledRuleSet, compile_rule_set
from backend.rules.credit import VersionTable, score_credit, tally_credit
from backend.rules.errors import RuleError
from backend.rules.events import CreditEvent, credit_event_from_dict
from backend.rules.golden import run_golden_tests
from backend.rules.results import SCORING_STATUSES, to_jsonable

Population = Mapping[Any, tuple[Mapping[str, Any], Iterable[CreditEvent | Mapping]]]


@dataclass(frozen=True, slots=True)
class PersonChange:
    """One villager's score and level under the published set and under the draft."""

    person_id: Any
    old_score: int
    old_level: str | None
    new_score: int
    new_level: str | None
    delta: int


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Everything a committee looks at before publishing a draft."""

    as_of: date
    people: tuple[PersonChange, ...]
    level_matrix: dict[str, dict[str, int]]  # old level -> new level -> number of people
    rule_fires: dict[str, dict[str, int]]  # rule code -> {"count", "total"} under the draft
    silent_rules: tuple[str, ...]  # draft rules that never fired
    golden: list[dict]
    summary: dict[str, int]

    def to_dict(self) -> dict:
        """JSON-able form."""
        return to_jsonable(self)


def simulate_rule_set(
    draft: Mapping | CompiledRuleSet,
    published: Mapping | CompiledRuleSet,
    population: Population,
    *,
    as_of: date,
) -> SimulationResult:
    """Score every person under both sets (each treated as in force at all dates) and compare."""
    new_set = _sole_version(draft)
    old_set = _sole_version(published)
    new_table, old_table = VersionTable([new_set]), VersionTable([old_set])
    people = []
    matrix: dict[str, dict[str, int]] = {}
    fires: dict[str, dict[str, int]] = {}
    for person_id, (facts, events) in population.items():
        converted = [event if type(event) is CreditEvent else credit_event_from_dict(event) for event in events]
        # Only the draft's items are counted below; the published set needs score and level alone.
        old = score_credit(old_table, converted, as_of=as_of, villager_facts=facts)
        new = tally_credit(new_table, converted, as_of=as_of, villager_facts=facts)
        old_level, new_level = old.level, new.level.code
        people.append(PersonChange(person_id, old.score, old_level, new.score, new_level, new.score - old.score))
        row = matrix.setdefault(old_level, {})
        row[new_level] = row.get(new_level, 0) + 1
        for item in new.scored:
            if item.status in SCORING_STATUSES and item.rule is not None:
                entry = fires.setdefault(item.rule.code, {"count": 0, "total": 0})
                entry["count"] += 1
                entry["total"] += item.amount
    silent = tuple(rule.code for rule in new_set.rules if rule.code not in fires)
    return SimulationResult(
        as_of=as_of,
        people=tuple(people),
        level_matrix=matrix,
        rule_fires=dict(sorted(fires.items())),
        silent_rules=silent,
        golden=run_golden_tests(new_set),
        summary=_summarise(people, new_set, old_set),
    )


def _sole_version(rule_set: Mapping | CompiledRuleSet) -> CompiledRuleSet:
    compiled = compile_rule_set(rule_set)
    if compiled.kind != "credit":
        raise RuleError("人群模拟只适用于信用规则集；积分规则请用黄金用例检验")
    return dataclasses.replace(compiled, effective_from=None)


def _summarise(people: list[PersonChange], new_set: CompiledRuleSet, old_set: CompiledRuleSet) -> dict[str, int]:
    def rank(compiled: CompiledRuleSet, code: str | None) -> int:
        return compiled.level_rank(code) if code else len(compiled.levels)

    return {
        "people": len(people),
        "changed": sum(1 for p in people if p.delta),
        "up": sum(1 for p in people if p.delta > 0),
        "down": sum(1 for p in people if p.delta < 0),
        # Level tables may differ between sets, so levels are compared by their own set's ranking.
        "level_changed": sum(1 for p in people if p.old_level != p.new_level),
        "level_up": sum(
            1 for p in people if p.old_level != p.new_level and rank(new_set, p.new_level) < rank(old_set, p.old_level)
        ),
    }
