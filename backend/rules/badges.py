"""Badges (勋章) declared in the points rule set, evaluated over a villager's (or household's) history.

A badge names a metric (looked up in `METRICS` by its `type`: a new kind is one function, one small schema and
one registry line) and one to three tiers (铜/银/金) with thresholds and optional bonus points. Evaluation is pure:
history in, progress out, with the condition in Chinese ("参加志愿服务 10 次") and the progress (7/10).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import Schema, fields

from backend.rules.facts import ACTIVITY_TYPES
from backend.rules.participation import compute_streak, month_key

TIERS: dict[str, str] = {"bronze": "铜", "silver": "银", "gold": "金"}
SCOPES: dict[str, str] = {"villager": "个人", "household": "家庭"}


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """One approved activity as badges see it: when, what, which category, points and hours."""

    on: date
    activity_type: str
    category: str
    rule_code: str | None = None
    points: int = 0
    hours: float | None = None


@dataclass(frozen=True, slots=True)
class History:
    """What a badge may look at: activities, and for household badges each month's (adults, adults who took part)."""

    activities: tuple[ActivityRecord, ...] = ()
    household_months: Mapping[str, tuple[int, int]] = field(default_factory=dict)


# --- metrics -------------------------------------------------------------------------------------------


class FilterParams(Schema):
    type = fields.String(required=True)
    activity_type = fields.String(load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True)
    rule_code = fields.String(load_default=None, allow_none=True)


class PlainParams(Schema):
    type = fields.String(required=True)


def _matching(history: History, params: Mapping) -> list[ActivityRecord]:
    return [
        record
        for record in history.activities
        if (params.get("activity_type") is None or record.activity_type == params["activity_type"])
        and (params.get("category") is None or record.category == params["category"])
        and (params.get("rule_code") is None or record.rule_code == params["rule_code"])
    ]


def _what(params: Mapping) -> str:
    if params.get("category"):
        return f"「{params['category']}」类活动"
    if params.get("activity_type"):
        return ACTIVITY_TYPES.get(params["activity_type"], params["activity_type"]).split("：")[-1]
    if params.get("rule_code"):
        return f"规则 {params['rule_code']} 的活动"
    return "各类积分活动"


def _categories_in_a_month(history: History, params: Mapping) -> int:
    months: dict[str, set[str]] = defaultdict(set)
    for record in history.activities:
        months[month_key(record.on)].add(record.category)
    return max((len(categories) for categories in months.values()), default=0)


def _full_household_months(history: History, params: Mapping) -> int:
    return sum(1 for adults, took_part in history.household_months.values() if adults and took_part >= adults)


@dataclass(frozen=True, slots=True)
class Metric:
    """How one kind of badge measures history, and how its condition reads in Chinese."""

    label: str
    params: type[Schema]
    measure: Callable[[History, Mapping], int]
    describe: Callable[[Mapping, int], str]
    scopes: tuple[str, ...] = ("villager",)


METRICS: dict[str, Metric] = {
    "activity_count": Metric(
        "参加活动次数",
        FilterParams,
        lambda history, params: len(_matching(history, params)),
        lambda params, n: f"参加{_what(params)} {n} 次",
    ),
    "hours": Metric(
        "活动时长（小时）",
        FilterParams,
        lambda history, params: int(sum(record.hours or 0 for record in _matching(history, params))),
        lambda params, n: f"{_what(params)}累计满 {n} 小时",
    ),
    "points": Metric(
        "累计获得积分",
        FilterParams,
        lambda history, params: sum(record.points for record in _matching(history, params)),
        lambda params, n: f"{_what(params)}累计获得 {n} 积分",
    ),
    "categories_in_month": Metric(
        "同一个月参与的类别数",
        PlainParams,
        _categories_in_a_month,
        lambda params, n: f"同一个月内参加 {n} 个不同类别的活动",
    ),
    "streak_weeks": Metric(
        "连续参与周数",
        PlainParams,
        lambda history, params: compute_streak((r.on for r in history.activities), as_of=date.max).best,
        lambda params, n: f"连续 {n} 周每周至少参加一次活动",
    ),
    "household_all_adults_month": Metric(
        "全家成年人都参与的月数",
        PlainParams,
        _full_household_months,
        lambda params, n: f"全家每位成年人在同一个月都参加活动，累计 {n} 个月",
        scopes=("household",),
    ),
}


# --- evaluation ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierProgress:
    tier: str
    label: str
    threshold: int
    bonus: int
    condition: str
    earned: bool


@dataclass(frozen=True, slots=True)
class BadgeProgress:
    """One badge for one person: every tier with its condition, what is earned, and the progress to the next."""

    code: str
    title: str
    scope: str
    category: str | None
    description: str
    value: int
    tiers: tuple[TierProgress, ...]
    newly_earned: tuple[TierProgress, ...]

    @property
    def earned_tiers(self) -> tuple[TierProgress, ...]:
        return tuple(tier for tier in self.tiers if tier.earned)

    @property
    def next_tier(self) -> TierProgress | None:
        return next((tier for tier in self.tiers if not tier.earned), None)

    @property
    def progress(self) -> tuple[int, int]:
        """(current, target) towards the next tier, or the last tier's when all are earned: 7/10."""
        target = (self.next_tier or self.tiers[-1]).threshold
        return min(self.value, target), target


def tier_name(badge: Mapping, tier: Mapping) -> str:
    """ "志愿先锋·银" for tiered badges, the title alone for a badge with one tier."""
    if len(badge["tiers"]) == 1:
        return badge["title"]
    return f"{badge['title']}·{TIERS[tier['tier']]}"


def evaluate_badge(badge: Mapping, history: History, earned: Iterable[str] = ()) -> BadgeProgress:
    """Progress of one badge; a tier once earned stays earned (`earned` lists the tiers already awarded)."""
    metric = METRICS[badge["metric"]["type"]]
    value = metric.measure(history, badge["metric"])
    already = set(earned)
    tiers = []
    fresh = []
    for tier in badge["tiers"]:
        reached = value >= tier["threshold"]
        progress = TierProgress(
            tier=tier["tier"],
            label=tier_name(badge, tier),
            threshold=tier["threshold"],
            bonus=tier.get("bonus", 0),
            condition=metric.describe(badge["metric"], tier["threshold"]),
            earned=reached or tier["tier"] in already,
        )
        tiers.append(progress)
        if reached and tier["tier"] not in already:
            fresh.append(progress)
    return BadgeProgress(
        code=badge["code"],
        title=badge["title"],
        scope=badge.get("scope", "villager"),
        category=badge.get("category"),
        description=badge.get("description") or "",
        value=value,
        tiers=tuple(tiers),
        newly_earned=tuple(fresh),
    )


def evaluate_badges(
    rule_set: Mapping, history: History, *, earned: Mapping[str, Iterable[str]] | None = None, scope: str = "villager"
) -> list[BadgeProgress]:
    """Every badge of `scope` in the rule set, in rule-set order; `earned` maps badge code -> tiers awarded."""
    earned = earned or {}
    return [
        evaluate_badge(badge, history, earned.get(badge["code"], ()))
        for badge in rule_set.get("badges") or ()
        if badge.get("scope", "villager") == scope
    ]


@dataclass(frozen=True, slots=True)
class BadgeGain:
    person_id: Any
    code: str
    tier: str
    label: str


def simulate_badges(
    draft: Mapping,
    population: Mapping[Any, History],
    *,
    earned: Mapping[Any, Mapping[str, Iterable[str]]] | None = None,
    scope: str = "villager",
) -> dict:
    """Who would gain which badge (tier) under `draft`, given what each already holds; with counts per tier."""
    earned = earned or {}
    gains: list[BadgeGain] = []
    for person_id, history in population.items():
        for progress in evaluate_badges(draft, history, earned=earned.get(person_id), scope=scope):
            gains.extend(BadgeGain(person_id, progress.code, tier.tier, tier.label) for tier in progress.newly_earned)
    counts: dict[str, int] = defaultdict(int)
    for gain in gains:
        counts[gain.label] += 1
    return {"gains": gains, "counts": dict(counts), "bonus_points": _bonus_total(draft, gains)}


def _bonus_total(draft: Mapping, gains: list[BadgeGain]) -> int:
    bonus = {(b["code"], t["tier"]): t.get("bonus", 0) for b in draft.get("badges") or () for t in b["tiers"]}
    return sum(bonus.get((gain.code, gain.tier), 0) for gain in gains)
