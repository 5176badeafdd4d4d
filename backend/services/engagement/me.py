"""The villager's own game: the home screen in one call, badges with progress, the ranking opt-out."""

from datetime import timedelta
from functools import lru_cache

from sqlalchemy import bindparam, func, literal, null, select, union_all

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import (
    Account,
    BadgeAward,
    CreditSnapshot,
    Event,
    Lesson,
    LessonAttempt,
    Notification,
    Participation,
    PointsTally,
    Poll,
    PollVote,
    RuleSet,
    Villager,
)
from backend.models.engagement import ALL_CATEGORIES
from backend.rules import History, evaluate_badges, rate_stars, rule_set_categories, star_thresholds
from backend.rules.participation import STARS_LABEL, week_start
from backend.services.access import Caller, NotBound, require_role
from backend.services.engagement.masking import opted_out
from backend.services.engagement.participation import activity_history, household_months
from backend.services.engagement.periods import period_keys
from backend.services.rulesets import compiled_rule_set, get_rule_set_in_force

LATEST_BADGES = 3
OPEN_ACTIVITIES = 5


def _me(caller: Caller) -> Villager:
    require_role(caller, "villager")
    if caller.villager_id is None:
        raise NotBound()
    return db.session.get(Villager, caller.villager_id)


def _rule_set(villager: Villager):
    found = get_rule_set_in_force(db.session, village_id=villager.village_id, kind="points", on=clock.today())
    return compiled_rule_set(found) if found is not None else None


def _streak(current: int, best: int, last_active_week) -> dict:
    if last_active_week is None:
        return {"current": 0, "best": 0, "active_this_week": False}
    this_week = week_start(clock.today())
    alive = last_active_week >= this_week - timedelta(days=7)
    return {"current": current if alive else 0, "best": best, "active_this_week": last_active_week == this_week}


@lru_cache(maxsize=256)
def _published_settings(rule_set_id: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Categories and star thresholds of a published points version (published documents never change)."""
    compiled = compiled_rule_set(db.session.get(RuleSet, rule_set_id))
    return rule_set_categories(compiled.data), star_thresholds(compiled.data)


# The home screen's statements are built once with bound parameters: building them per request cost more CPU than
# running them (see bench/engagement.py).
_VILLAGER, _VILLAGE = bindparam("villager_id"), bindparam("village_id")
_MONTH, _TODAY, _NOW = bindparam("month"), bindparam("today"), bindparam("now")
_MONTH_ROWS = (PointsTally.period == "month", PointsTally.period_key == _MONTH)


def _state_statement():
    my_total = (
        select(PointsTally.points)
        .where(PointsTally.villager_id == _VILLAGER, PointsTally.category == ALL_CATEGORIES, *_MONTH_ROWS)
        .scalar_subquery()
    )
    ahead = select(func.count(PointsTally.id)).where(
        PointsTally.village_id == _VILLAGE,
        PointsTally.category == ALL_CATEGORIES,
        PointsTally.points > func.coalesce(my_total, 0),
        *_MONTH_ROWS,
    )
    rule_set = (
        select(RuleSet.id)
        .where(
            RuleSet.village_id == _VILLAGE,
            RuleSet.kind == "points",
            RuleSet.status.in_(("published", "superseded")),
            RuleSet.effective_from <= _TODAY,
        )
        .order_by(RuleSet.effective_from.desc(), RuleSet.version.desc())
        .limit(1)
    )
    unread = select(func.count(Notification.id)).where(
        Notification.villager_id == _VILLAGER, Notification.read_at.is_(None)
    )
    snapshot = (
        select(CreditSnapshot.score, CreditSnapshot.level)
        .where(CreditSnapshot.villager_id == _VILLAGER)
        .order_by(CreditSnapshot.month.desc())
        .limit(1)
        .subquery()
    )
    return (
        select(
            Participation.lifetime_points,
            Participation.stars,
            Participation.current_streak,
            Participation.best_streak,
            Participation.last_active_week,
            select(Account.balance).where(Account.villager_id == _VILLAGER).scalar_subquery().label("balance"),
            unread.scalar_subquery().label("unread"),
            ahead.scalar_subquery().label("ahead"),
            rule_set.scalar_subquery().label("rule_set_id"),
            snapshot.c.score,
            snapshot.c.level,
        )
        .select_from(Villager)
        .outerjoin(Participation, Participation.villager_id == Villager.id)
        .outerjoin(snapshot, literal(True))
        .where(Villager.id == _VILLAGER)
    )


def _open_activities_statement():
    voted = select(PollVote.id).where(PollVote.poll_id == Poll.id, PollVote.villager_id == _VILLAGER).exists()
    passed = (
        select(LessonAttempt.id)
        .where(LessonAttempt.lesson_id == Lesson.id, LessonAttempt.villager_id == _VILLAGER, LessonAttempt.passed)
        .exists()
    )
    polls = select(literal("poll").label("type"), Poll.id, Poll.question.label("title"), Poll.closes_at.label("until"))
    polls = polls.where(Poll.village_id == _VILLAGE, Poll.opens_at <= _NOW, Poll.closes_at > _NOW, ~voted)
    events = select(literal("event"), Event.id, Event.title, Event.starts_at).where(
        Event.village_id == _VILLAGE, Event.ends_at > _NOW
    )
    lessons = select(literal("lesson"), Lesson.id, Lesson.title, null()).where(Lesson.village_id == _VILLAGE, ~passed)
    union = union_all(polls, events, lessons).subquery()
    return select(union).order_by(union.c.until.is_(None), union.c.until, union.c.id).limit(OPEN_ACTIVITIES)


_STATE = _state_statement()
_OPEN_ACTIVITIES = _open_activities_statement()
_BY_CATEGORY = select(PointsTally.category, PointsTally.points).where(
    PointsTally.villager_id == _VILLAGER, *_MONTH_ROWS
)
_LATEST_BADGES = (
    select(BadgeAward).where(BadgeAward.villager_id == _VILLAGER).order_by(BadgeAward.id.desc()).limit(LATEST_BADGES)
)


def get_home(*, caller: Caller) -> dict:
    """Balance, stars, credit level, this month by category, streak, latest badges, rank, unread, open activities.

    Four indexed reads of materialised rows (participation, tallies, account, the nightly credit snapshot), so that
    the screen every villager opens first costs about twice a plain signed-in read; see bench/engagement.py.
    """
    require_role(caller, "villager")
    if caller.villager_id is None:
        raise NotBound()
    session = db.session
    today = clock.today()
    month = period_keys(today)["month"]
    params = {"villager_id": caller.villager_id, "village_id": caller.village_id, "month": month}
    state = session.execute(_STATE, {**params, "today": today}).one()
    categories, thresholds = (
        _published_settings(state.rule_set_id) if state.rule_set_id else ((), star_thresholds(None))
    )
    by_category = dict(session.execute(_BY_CATEGORY, params).all())
    month_total = by_category.pop(ALL_CATEGORIES, 0)
    shown = list(categories) + [c for c in by_category if c not in categories]
    lifetime = state.lifetime_points or 0
    stars = rate_stars(thresholds, lifetime, at_least=state.stars or 0)
    return {
        "balance": state.balance or 0,
        "stars": {
            "label": STARS_LABEL,
            "stars": stars.stars,
            "lifetime_points": lifetime,
            "text": stars.text,
            "next_star_at": stars.next_star_at,
        },
        # The nightly snapshot (flask credit recompute): the full explanation lives at GET /me/credit.
        "credit": {"score": state.score, "level": state.level} if state.level else None,
        "month": month,
        "month_points": month_total,
        "month_by_category": [{"category": c, "points": by_category.get(c, 0)} for c in shown],
        "streak": _streak(state.current_streak or 0, state.best_streak or 0, state.last_active_week),
        "latest_badges": list(session.execute(_LATEST_BADGES, params).scalars()),
        "rank_in_village": state.ahead + 1,
        "unread_notifications": state.unread,
        "open_activities": [
            {"type": kind, "id": item_id, "title": title, "until": until}
            for kind, item_id, title, until in session.execute(_OPEN_ACTIVITIES, {**params, "now": clock.now()})
        ],
    }


def list_my_badges(*, caller: Caller) -> dict:
    """Every badge of the rule set in force: earned tiers, locked ones with their condition and progress (7/10)."""
    villager = _me(caller)
    compiled = _rule_set(villager)
    awards = (
        db.session.execute(
            select(BadgeAward).where(
                BadgeAward.village_id == villager.village_id,
                BadgeAward.holder_key.in_([f"villager:{villager.id}", f"household:{villager.household_id}"]),
            )
        )
        .scalars()
        .all()
    )
    earned_at = {(a.badge_code, a.tier): a.awarded_on for a in awards}
    earned: dict[str, list[str]] = {}
    for award in awards:
        earned.setdefault(award.badge_code, []).append(award.tier)
    if compiled is None:
        return {"earned": [], "locked": []}
    records = tuple(activity_history(db.session, [villager.id]).get(villager.id, []))
    progress = evaluate_badges(compiled.data, History(records), earned=earned)
    progress += evaluate_badges(compiled.data, _household_history(villager), earned=earned, scope="household")
    earned_rows, locked_rows = [], []
    for badge in progress:
        for tier in badge.tiers:
            row = {
                "code": badge.code,
                "tier": tier.tier,
                "label": tier.label,
                "scope": badge.scope,
                "description": badge.description,
                "condition": tier.condition,
                "bonus": tier.bonus,
                "awarded_on": earned_at.get((badge.code, tier.tier)),
                "progress": {"current": min(badge.value, tier.threshold), "target": tier.threshold},
            }
            (earned_rows if (badge.code, tier.tier) in earned_at else locked_rows).append(row)
    return {"earned": earned_rows, "locked": locked_rows}


def _household_history(villager: Villager) -> History:
    if villager.household_id is None:
        return History()
    return History(household_months=household_months(db.session, villager.household_id))


def set_privacy(*, caller: Caller, ranking_opt_out: bool) -> dict:
    """Leave (or rejoin) public rankings; the villager's own row always shows their name to themselves."""
    villager = _me(caller)
    with write_transaction() as session:
        row = session.get(Villager, villager.id)
        row.ranking_opt_out = ranking_opt_out
        default = row.village.ranking_opt_out_default
    return {"ranking_opt_out": opted_out(ranking_opt_out, default), "village_default": default}
