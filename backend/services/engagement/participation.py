"""What each award changes in the game, inside the award's own transaction: tallies, stars, streak, badges.

`record_participation` is called by `award_points` after it booked (or capped to 0) an activity under a rule. It
updates the materialised counters boards read (points_tallies, participation), evaluates the rule set's badges
with the pure evaluator, awards new tiers exactly once (a unique key with ON CONFLICT DO NOTHING: two approvals
racing on two workers cannot both award a household's badge) and books their bonus points through the ledger
under the badge's code.
"""

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend import clock
from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import BadgeAward, Household, Participation, PointAward, PointsTally, RuleSet, Villager
from backend.models.engagement import ALL_CATEGORIES
from backend.rules import (
    ActivityRecord,
    CompiledRuleSet,
    History,
    TierProgress,
    compute_streak,
    evaluate_badges,
    points_expiry_date,
    rate_stars,
    simulate_badges,
    star_thresholds,
    validate_rule_set,
)
from backend.rules.participation import month_key, week_start
from backend.services.access import STAFF_ROLES, Caller, require_role
from backend.services.engagement.periods import period_keys
from backend.services.ledger import earn_points
from backend.services.notifications import Notice, notify
from backend.services.rulesets import RuleSetInvalidError

BONUS_CATEGORY = "勋章奖励"  # where bonus points of a badge without a category count
ADULT_AGE = 18


def _insert(session: Session):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def add_to_tallies(session: Session, *, villager: Villager, on: date, category: str, points: int) -> None:
    """Add one activity and its points to the week, month and year rows of its category and of all categories."""
    rows = [
        {
            "village_id": villager.village_id,
            "villager_id": villager.id,
            "period": period,
            "period_key": key,
            "category": cat,
            "points": points,
            "activities": 1,
        }
        for period, key in period_keys(on).items()
        for cat in (category, ALL_CATEGORIES)
    ]
    stmt = _insert(session)(PointsTally).values(rows)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["villager_id", "period", "period_key", "category"],
            set_={"points": PointsTally.points + stmt.excluded.points, "activities": PointsTally.activities + 1},
        )
    )


def activity_history(session: Session, villager_ids: list[int]) -> dict[int, list[ActivityRecord]]:
    """Every scored activity of these villagers, as badges see them (one query)."""
    rows = session.execute(
        select(
            PointAward.villager_id,
            PointAward.earned_on,
            PointAward.activity_type,
            PointAward.category,
            PointAward.rule_code,
            PointAward.amount,
            PointAward.hours,
        ).where(PointAward.villager_id.in_(villager_ids), PointAward.rule_code.is_not(None))
    ).all()
    history: dict[int, list[ActivityRecord]] = defaultdict(list)
    for villager_id, on, activity_type, category, rule_code, amount, hours in rows:
        history[villager_id].append(ActivityRecord(on, activity_type, category or "", rule_code, amount, hours))
    return history


def _participation(session: Session, villager: Villager) -> Participation:
    found = session.execute(select(Participation).where(Participation.villager_id == villager.id)).scalar_one_or_none()
    if found is None:
        found = Participation(village_id=villager.village_id, villager_id=villager.id, lifetime_points=0, stars=0)
        session.add(found)
    return found


def add_lifetime_points(session: Session, villager: Villager, points: int, rule_set: CompiledRuleSet) -> None:
    """Lifetime points earned and the stars they give (never lowered)."""
    state = _participation(session, villager)
    state.lifetime_points = (state.lifetime_points or 0) + points
    state.stars = rate_stars(star_thresholds(rule_set.data), state.lifetime_points, at_least=state.stars or 0).stars


def lock_household(session: Session, villager: Villager) -> None:
    """Serialise awards of one household's members (PostgreSQL; SQLite's BEGIN IMMEDIATE already does).

    Two members approved at once would each miss the other's activity (a household badge never awarded) or, with
    neither this lock nor the unique key, both award it. Taken before any ledger account, so that a household
    bonus paid to the head's account cannot deadlock with the head's own award.
    """
    if villager.household_id is not None:
        session.execute(select(Household.id).where(Household.id == villager.household_id).with_for_update())


def record_participation(
    session: Session, *, villager: Villager, award: PointAward, rule_set_id: int, rule_set: CompiledRuleSet
) -> list[BadgeAward]:
    """Count the award in tallies, stars and streak, then award what badges it completes; returns new badges."""
    add_to_tallies(session, villager=villager, on=award.earned_on, category=award.category or "", points=award.amount)
    add_lifetime_points(session, villager, award.amount, rule_set)
    session.flush()
    records = activity_history(session, [villager.id])[villager.id]
    streak = compute_streak((r.on for r in records), as_of=max(clock.today(), award.earned_on))
    state = _participation(session, villager)
    state.best_streak = max(state.best_streak or 0, streak.best)
    state.current_streak = streak.current
    state.last_active_week = week_start(max(r.on for r in records))
    awarded = _award_badges(
        session,
        villager=villager,
        holder_key=f"villager:{villager.id}",
        household_id=None,
        history=History(tuple(records)),
        scope="villager",
        rule_set_id=rule_set_id,
        rule_set=rule_set,
        on=award.earned_on,
    )
    if villager.household_id is not None:
        awarded += _household_badges(session, villager, rule_set_id, rule_set, award.earned_on)
    return awarded


def _household_badges(
    session: Session, villager: Villager, rule_set_id: int, rule_set: CompiledRuleSet, on: date
) -> list[BadgeAward]:
    if not any(badge.get("scope") == "household" for badge in rule_set.data.get("badges") or ()):
        return []
    months = household_months(session, villager.household_id)
    head = session.execute(
        select(Villager.id).where(Villager.household_id == villager.household_id, Villager.is_head.is_(True))
    ).scalar()
    return _award_badges(
        session,
        villager=session.get(Villager, head or villager.id),
        holder_key=f"household:{villager.household_id}",
        household_id=villager.household_id,
        history=History(household_months=months),
        scope="household",
        rule_set_id=rule_set_id,
        rule_set=rule_set,
        on=on,
    )


def household_months(session: Session, household_id: int) -> dict[str, tuple[int, int]]:
    """Per month with any activity: (adult members, adult members who took part)."""
    members = session.execute(
        select(Villager.id, Villager.birth_date).where(
            Villager.household_id == household_id, Villager.status == "active"
        )
    ).all()
    months: dict[str, set[int]] = defaultdict(set)
    for member_id, records in activity_history(session, [m.id for m in members]).items():
        for record in records:
            months[month_key(record.on)].add(member_id)
    result = {}
    for month, took_part in months.items():
        first = date.fromisoformat(f"{month}-01")
        adults = {m.id for m in members if m.birth_date is not None and _age(m.birth_date, first) >= ADULT_AGE}
        result[month] = (len(adults), len(adults & took_part))
    return result


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _award_badges(
    session: Session,
    *,
    villager: Villager,
    holder_key: str,
    household_id: int | None,
    history: History,
    scope: str,
    rule_set_id: int,
    rule_set: CompiledRuleSet,
    on: date,
) -> list[BadgeAward]:
    earned: dict[str, list[str]] = defaultdict(list)
    for code, tier in session.execute(
        select(BadgeAward.badge_code, BadgeAward.tier).where(
            BadgeAward.village_id == villager.village_id, BadgeAward.holder_key == holder_key
        )
    ):
        earned[code].append(tier)
    awarded = []
    badges = {badge["code"]: badge for badge in rule_set.data.get("badges") or ()}
    for progress in evaluate_badges(rule_set.data, history, earned=earned, scope=scope):
        for tier in progress.newly_earned:
            badge = _claim_badge(
                session, villager, holder_key, household_id, progress.code, tier, rule_set_id, rule_set, on
            )
            if badge is not None:
                _pay_bonus(session, villager, badge, badges[progress.code].get("category"), rule_set)
                awarded.append(badge)
    return awarded


def _claim_badge(
    session: Session,
    villager: Villager,
    holder_key: str,
    household_id: int | None,
    code: str,
    tier: TierProgress,
    rule_set_id: int,
    rule_set: CompiledRuleSet,
    on: date,
) -> BadgeAward | None:
    """Insert the badge tier unless it exists; a concurrent insert of the same tier waits, then inserts nothing."""
    stmt = (
        _insert(session)(BadgeAward)
        .values(
            village_id=villager.village_id,
            holder_key=holder_key,
            villager_id=villager.id,
            household_id=household_id,
            badge_code=code,
            tier=tier.tier,
            label=tier.label,
            condition=tier.condition[:200],
            awarded_on=on,
            rule_set_id=rule_set_id,
            rule_version=rule_set.version,
            bonus_points=tier.bonus,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["village_id", "holder_key", "badge_code", "tier"])
        .returning(BadgeAward.id)
    )
    badge_id = session.execute(stmt).scalar_one_or_none()
    return session.get(BadgeAward, badge_id) if badge_id is not None else None


def _pay_bonus(
    session: Session, villager: Villager, badge: BadgeAward, category: str | None, rule_set: CompiledRuleSet
) -> None:
    text = f"获得「{badge.label}」勋章"
    if badge.bonus_points:
        transfer = earn_points(
            session,
            villager_id=villager.id,
            village_id=villager.village_id,
            amount=badge.bonus_points,
            expires_on=points_expiry_date(rule_set.points_expiry, badge.awarded_on),
            rule_code=badge.badge_code,
            rule_version=badge.rule_version,
            reason=f"{text}，奖励 {badge.bonus_points} 积分",
            source_type="badge",
            source_id=badge.id,
            idempotency_key=f"badge:{badge.id}",
            actor_id=None,
            earned_on=badge.awarded_on,
        )
        badge.transfer_id = transfer.id
        add_to_tallies(
            session,
            villager=villager,
            on=badge.awarded_on,
            category=category or BONUS_CATEGORY,
            points=badge.bonus_points,
        )
        add_lifetime_points(session, villager, badge.bonus_points, rule_set)
        text += f"，奖励 {badge.bonus_points} 积分"
    notify(
        session,
        Notice(
            villager_id=villager.id,
            village_id=villager.village_id,
            kind="badge_earned",
            title="获得勋章",
            body=f"恭喜{text}！条件：{badge.condition}",
            entity_type="badge_award",
            entity_id=badge.id,
            dedupe_key=f"badge:{badge.id}",
        ),
    )


def simulate_badge_draft(*, caller: Caller, rule_set: RuleSet) -> dict:
    """Who in the village would gain which badge tier under a points draft, given what they hold, and its bonus cost."""

    require_role(caller, *STAFF_ROLES)
    if rule_set.kind != "points":
        raise InvalidInput(errors={"rule_set_id": ["勋章模拟只适用于积分规则集。"]})
    errors = validate_rule_set(rule_set.document)
    if errors:
        raise RuleSetInvalidError(errors=errors)
    session = db.session
    people = dict(
        session.execute(
            select(Villager.id, Villager.name).where(
                Villager.village_id == rule_set.village_id, Villager.status == "active"
            )
        ).all()
    )
    histories = activity_history(session, list(people))
    earned: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for villager_id, code, tier in session.execute(
        select(BadgeAward.villager_id, BadgeAward.badge_code, BadgeAward.tier).where(
            BadgeAward.village_id == rule_set.village_id, BadgeAward.holder_key.like("villager:%")
        )
    ):
        earned[villager_id][code].append(tier)
    population = {vid: History(tuple(histories.get(vid, ()))) for vid in people}
    result = simulate_badges(rule_set.document, population, earned=earned)
    return {
        "rule_set_id": rule_set.id,
        "gains": [
            {"villager_id": g.person_id, "name": people[g.person_id], "code": g.code, "tier": g.tier, "label": g.label}
            for g in result["gains"]
        ],
        "counts": result["counts"],
        "bonus_points": result["bonus_points"],
    }
