"""Participation outside the ledger's numbers: categories, stars (参与星级) and weekly streaks, as pure functions.

Stars rank lifetime points *earned* (never lowered by spending or expiry) on five steps; they are deliberately
called 参与星级 and shown as ★, so that nobody mistakes them for the credit levels (信用等级 A/AA/AAA).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

# The seed's five categories plus 建言献策; a village may add its own in the rule set's `categories`.
DEFAULT_CATEGORIES: tuple[str, ...] = ("民主评议", "环境美化", "平安治理", "志愿服务", "在线学习", "建言献策")
# Lifetime points needed for 1..5 stars when a rule set does not say.
DEFAULT_STAR_THRESHOLDS: tuple[int, ...] = (0, 50, 150, 300, 600)
STARS_LABEL = "参与星级"


@dataclass(frozen=True, slots=True)
class StarRating:
    """Stars for lifetime points earned, and what the next star needs."""

    stars: int
    lifetime_points: int
    next_star_at: int | None
    text: str


def star_thresholds(rule_set: Mapping | None) -> tuple[int, ...]:
    """The rule set's five thresholds, or the defaults."""
    stars = (rule_set or {}).get("stars") or {}
    return tuple(stars.get("thresholds") or DEFAULT_STAR_THRESHOLDS)


def rate_stars(thresholds: Sequence[int], lifetime_points: int, *, at_least: int = 0) -> StarRating:
    """1-5 stars for `lifetime_points` (0 below the first threshold); never fewer than `at_least` already shown."""
    stars = max(at_least, sum(1 for minimum in thresholds if lifetime_points >= minimum))
    following = next((minimum for minimum in thresholds[stars:] if minimum > lifetime_points), None)
    text = f"{STARS_LABEL} {stars} 星（累计获得 {lifetime_points} 积分）"
    if following is not None:
        text += f"，再得 {following - lifetime_points} 积分升至 {stars + 1} 星"
    return StarRating(stars=stars, lifetime_points=lifetime_points, next_star_at=following, text=text)


@dataclass(frozen=True, slots=True)
class Streak:
    """Consecutive ISO weeks with at least one approved activity: the running one and the best ever."""

    current: int
    best: int
    active_this_week: bool


def week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def compute_streak(days: Iterable[date], *, as_of: date) -> Streak:
    """Weeks in a row with an activity up to `as_of`; a streak stays alive through the current week until it ends."""
    weeks = sorted({week_start(day) for day in days if day <= as_of})
    best = run = 0
    previous = None
    for week in weeks:
        run = run + 1 if previous is not None and week - previous == timedelta(days=7) else 1
        best = max(best, run)
        previous = week
    this_week = week_start(as_of)
    alive = previous is not None and previous >= this_week - timedelta(days=7)
    return Streak(current=run if alive else 0, best=best, active_this_week=previous == this_week)


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"
