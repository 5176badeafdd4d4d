"""The scoring-rule language: pure, data-only evaluation of points (积分) and credit (信用分).

Imports neither Flask nor SQLAlchemy. Committees edit rule sets as JSON; services load them from the
database and call the functions below with plain values (dicts, `datetime.date`, `CreditEvent`).
All amounts and scores are integers; all user-facing text is Simplified Chinese.

Rule set JSON (both kinds; `load_rule_set` parses ISO dates, `validate_rule_set` returns nested errors)::

    {
      "kind": "credit",                      # or "points"
      "name": "东村村规民约信用计分细则",
      "version": 1, "effective_from": "2026-01-01",   # set by the publishing service
      "base_score": 1000, "min_score": 0, "max_score": 1100,          # credit only
      "levels": [{"code": "AAA", "min": 1050, "label": "优秀"}, ..., {"code": "C", "min": 0, "label": "较差"}],
      "dimensions": [{"code": "compliance", "label": "遵规守约"}, ...],
      "notice_days": 7,                      # 公示 days; the service sets each event's counts_from with it
      "points_expiry": {"type": "end_of_next_year"},  # or {"type": "months", "months": 24}, {"type": "never"}
      "rules": [{
        "code": "H31", "title": "参加志愿服务，每满 2 小时", "category": "公益参与",
        "dimension": "public_service",       # credit rules: one of `dimensions`
        "target": "credit",                  # "points" | "credit" | "both"
        "activity_type": null,               # points rules: vote | lesson | checkin | speak | photo | manual
        "condition": {"all": [{"fact": "event.kind", "op": "eq", "value": "volunteer"}]},  # or null
        "effect": {"type": "per_unit", "amount": 2, "unit_fact": "event.hours", "unit_size": 2},
        "cap": {"period": "month", "amount": 20},  # day|week|month|year|ever|per_event; a positive size;
                                                   # for deductions it bounds the total deducted
        "validity_months": 12,               # credit: stops counting after; points rules leave it null
        "sentence": "{name}于{date}参加志愿服务 {units} 小时，加 {amount} 分",
        "evidence": ["check_in"]
      }],
      "gates": [{"code": "G01", "label": "...", "rule_code": "R12",
                 "when": {"list": "court"},  # or {"condition": <tree on villager facts>}
                 "effect": {"type": "block_redemption"}}],   # or {"type": "cap_level", "level": "C"}
      "golden_tests": [{"name": "...", "as_of": "2026-06-01", "villager": {<facts>},
                        "events": [<CreditEvent dicts> | <{on, facts, amount?, rule_code?} for points>],
                        "expect": {"score": 1000, "level": "AA"}}]   # points sets: {"points": 20}
    }

Points sets also declare `categories` (default: 民主评议 环境美化 平安治理 志愿服务 在线学习 建言献策; every points
rule names one), `stars: {thresholds: [5 ascending lifetime-points minima for 1..5 stars]}` and `badges`:
[{code, title, description, scope: villager|household, category?, metric: {type, ...filters},
tiers: [{tier: bronze|silver|gold, threshold, bonus}]}] (metrics in `badges.METRICS`).

Effects: fixed {amount} (x event quantity), per_unit {amount, unit_fact, unit_size, max_units?} (units
come from the fact, else from the event quantity), range {min, max, default} (a reviewer's amount, else
the default), level_cap {level} (no points; caps the level while its event counts). Every positive rule
needs a cap. Condition operators per fact type come from `export_catalogue()`; a missing fact makes a
leaf false. Sentence placeholders: {name} (from the fact "villager.name"), {amount}, {date}, {code},
{title}, {units}, {level}, {expires_on}; unknown ones are left as written.
"""

from backend.rules.badges import (
    METRICS,
    TIERS,
    ActivityRecord,
    BadgeProgress,
    History,
    TierProgress,
    evaluate_badges,
    simulate_badges,
)
from backend.rules.catalogue import export_catalogue
from backend.rules.compiled import CompiledRuleSet, Level, Rule, compile_rule_set
from backend.rules.conditions import evaluate_condition, validate_condition
from backend.rules.credit import CreditScore, CreditState, VersionTable, credit_state, evaluate_credit, score_credit
from backend.rules.errors import RuleError, RuleSetInvalid
from backend.rules.events import CreditEvent, credit_event_from_dict
from backend.rules.explain import render_sentence
from backend.rules.facts import FACTS, age_on, villager_facts
from backend.rules.golden import run_golden_tests
from backend.rules.loader import DEMO_RULE_SETS, load_demo_rule_set
from backend.rules.participation import (
    DEFAULT_CATEGORIES,
    STARS_LABEL,
    StarRating,
    Streak,
    compute_streak,
    rate_stars,
    star_thresholds,
)
from backend.rules.periods import add_months, cap_period_key, cap_window
from backend.rules.points import PointsAward, describe_points_rules, match_rule, score_activity
from backend.rules.registry import points_expiry_date
from backend.rules.results import (
    CapApplied,
    CreditLine,
    CreditResult,
    DimensionScore,
    GateApplied,
    Reason,
    RepairApplied,
)
from backend.rules.simulate import PersonChange, SimulationResult, simulate_rule_set
from backend.rules.validation import load_rule_set, rule_set_categories, validate_rule_set

__all__ = [
    "DEFAULT_CATEGORIES",
    "DEMO_RULE_SETS",
    "FACTS",
    "METRICS",
    "STARS_LABEL",
    "TIERS",
    "ActivityRecord",
    "BadgeProgress",
    "CapApplied",
    "CompiledRuleSet",
    "CreditEvent",
    "CreditLine",
    "CreditResult",
    "CreditScore",
    "CreditState",
    "DimensionScore",
    "GateApplied",
    "History",
    "Level",
    "PersonChange",
    "PointsAward",
    "Reason",
    "RepairApplied",
    "Rule",
    "RuleError",
    "RuleSetInvalid",
    "SimulationResult",
    "StarRating",
    "Streak",
    "TierProgress",
    "VersionTable",
    "add_months",
    "age_on",
    "cap_period_key",
    "cap_window",
    "compile_rule_set",
    "compute_streak",
    "credit_event_from_dict",
    "credit_state",
    "describe_points_rules",
    "evaluate_badges",
    "evaluate_condition",
    "evaluate_credit",
    "export_catalogue",
    "load_demo_rule_set",
    "load_rule_set",
    "match_rule",
    "points_expiry_date",
    "rate_stars",
    "render_sentence",
    "rule_set_categories",
    "run_golden_tests",
    "score_activity",
    "score_credit",
    "simulate_badges",
    "simulate_rule_set",
    "star_thresholds",
    "validate_condition",
    "validate_rule_set",
    "villager_facts",
]
