"""A validated rule set in a form that is fast to evaluate: frozen dataclasses and lookup tables."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from backend.rules.registry import effect_direction
from backend.rules.validation import load_rule_set


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated rule."""

    code: str
    title: str
    category: str
    dimension: str | None
    target: str
    activity_type: str | None
    condition: Any
    effect: Mapping[str, Any]
    cap: Mapping[str, Any] | None
    validity_months: int | None
    sentence: str
    evidence: tuple[str, ...]
    direction: int

    @property
    def moves_points(self) -> bool:
        """Whether the rule earns spendable points."""
        return self.target in ("points", "both")

    @property
    def moves_credit(self) -> bool:
        """Whether the rule moves the credit score."""
        return self.target in ("credit", "both")


@dataclass(frozen=True, slots=True)
class Level:
    """One row of the level table."""

    code: str
    min: int
    label: str


@dataclass(frozen=True, slots=True)
class CompiledRuleSet:
    """A validated rule set; `data` is the loaded dict (dates parsed)."""

    data: Mapping[str, Any]
    kind: str
    name: str
    version: int
    effective_from: date | None
    base_score: int
    min_score: int
    max_score: int | None
    levels: tuple[Level, ...]
    dimensions: tuple[tuple[str, str], ...]
    rules: tuple[Rule, ...]
    rules_by_code: Mapping[str, Rule]
    gates: tuple[Mapping[str, Any], ...]
    points_expiry: Mapping[str, Any]
    notice_days: int

    def level_for(self, score: int) -> Level | None:
        """The highest level whose threshold `score` reaches (the lowest level when none is reached)."""
        for level in self.levels:
            if score >= level.min:
                return level
        return self.levels[-1] if self.levels else None

    def level_rank(self, code: str) -> int:
        """Position in the level table, 0 being the best."""
        for index, level in enumerate(self.levels):
            if level.code == code:
                return index
        return len(self.levels)


def compile_rule_set(data: Mapping[str, Any] | CompiledRuleSet) -> CompiledRuleSet:
    """Validate and compile a rule set dict; raises RuleSetInvalid when it is not valid."""
    if isinstance(data, CompiledRuleSet):
        return data
    loaded = load_rule_set(data)
    rules = tuple(
        Rule(
            code=rule["code"],
            title=rule["title"],
            category=rule["category"],
            dimension=rule["dimension"],
            target=rule["target"],
            activity_type=rule["activity_type"],
            condition=rule["condition"],
            effect=rule["effect"],
            cap=rule["cap"],
            validity_months=rule["validity_months"],
            sentence=rule["sentence"],
            evidence=tuple(rule["evidence"]),
            direction=effect_direction(rule["effect"]),
        )
        for rule in loaded["rules"]
    )
    return CompiledRuleSet(
        data=loaded,
        kind=loaded["kind"],
        name=loaded["name"],
        version=loaded["version"],
        effective_from=loaded["effective_from"],
        base_score=loaded["base_score"],
        min_score=loaded["min_score"],
        max_score=loaded["max_score"],
        levels=tuple(Level(lv["code"], lv["min"], lv["label"]) for lv in loaded["levels"]),
        dimensions=tuple((d["code"], d["label"]) for d in loaded["dimensions"]),
        rules=rules,
        rules_by_code={rule.code: rule for rule in rules},
        gates=tuple(loaded["gates"]),
        points_expiry=loaded["points_expiry"],
        notice_days=loaded["notice_days"],
    )
