"""Awarding points for an activity: price it with the pure rules, then book it once per idempotency key.

Every activity (vote, lesson, check-in, reviewed submission) earns through `award_points`, inside the caller's
write transaction. `price_award` is its first half on its own: the rule set in force, the villager's facts, what
they already earned in the cap period, and `backend.rules.score_activity` deciding the amount, without writing
anything (the review asks it whether an award is large enough to need a second approver).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import PointAward, RuleSet, Villager
from backend.rules import PointsAward, RuleError, describe_points_rules, score_activity, villager_facts
from backend.services.access import Caller, bound_villager
from backend.services.engagement import lock_household, record_participation
from backend.services.ledger import earn_points, points_earned_between
from backend.services.rulesets import compiled_rule_set, get_rule_set_in_force
from backend.services.webhooks import publish_event

NO_RULE_SET = "本村尚未发布积分规则，本次不加分"
NO_RULE = "本村积分规则中没有适用于此项活动的条目，本次不加分"


@dataclass(frozen=True)
class AwardPrice:
    """What an activity earns under the rules in force, capped; `score` is None when no rule set or rule applies."""

    rule_set: RuleSet | None
    score: PointsAward | None

    @property
    def amount(self) -> int:
        return self.score.amount if self.score is not None else 0


def price_award(
    session: Session,
    *,
    villager: Villager,
    activity_type: str,
    facts: dict,
    on: date,
    amount_override: int | None = None,
) -> AwardPrice:
    """Score the activity under the points rule set in force on `on`, capped by what was already earned.

    Takes the villager's row lock, which a booking in the same transaction keeps: caps read what was already
    earned, and the lock keeps two awards from both reading "room left". Writes nothing. Raises InvalidInput when
    `amount_override` is outside the rule.
    """
    _lock(session, villager)
    return _price(session, villager, activity_type, facts, on, amount_override)


def _lock(session: Session, villager: Villager) -> None:
    # NO KEY UPDATE: serialises this villager's awards, yet lets other transactions insert rows that point at the
    # villager (foreign-key checks take KEY SHARE), e.g. a household badge paid to this household's head.
    session.execute(select(Villager.id).where(Villager.id == villager.id).with_for_update(key_share=True))
    lock_household(session, villager)


def _price(
    session: Session, villager: Villager, activity_type: str, facts: dict, on: date, amount_override: int | None
) -> AwardPrice:
    rule_set = get_rule_set_in_force(session, village_id=villager.village_id, kind="points", on=on)
    if rule_set is None:
        return AwardPrice(rule_set=None, score=None)

    def earned(rule_code: str, _key: str, start: date, end: date) -> int:
        return points_earned_between(session, villager_id=villager.id, rule_code=rule_code, start=start, end=end)

    try:
        score = score_activity(
            compiled_rule_set(rule_set),
            activity_facts={**villager_facts(villager, on), **facts, "activity.type": activity_type},
            on=on,
            period_totals=earned,
            amount_override=amount_override,
        )
    except RuleError as error:
        raise InvalidInput(errors={"amount": [error.message]}) from error
    return AwardPrice(rule_set=rule_set, score=score)


def award_points(
    session: Session,
    *,
    villager: Villager,
    activity_type: str,
    facts: dict,
    on: date,
    source_type: str,
    source_id: int,
    idempotency_key: str,
    amount_override: int | None = None,
    actor_id: int | None = None,
    price: AwardPrice | None = None,
) -> PointAward:
    """Price the activity (or take `price`, priced in this transaction) and book it; never twice for one key.

    The award's `amount` may be 0 (capped, no rule, no rule set), with a Chinese `explanation`. A repeated
    key returns the first award unchanged. Raises InvalidInput when `amount_override` is outside the rule.
    """
    if price is None:
        _lock(session, villager)  # a price made in this transaction already holds it
    existing = session.execute(
        select(PointAward).where(
            PointAward.village_id == villager.village_id, PointAward.idempotency_key == idempotency_key
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    if price is None:
        price = _price(session, villager, activity_type, facts, on, amount_override)
    award = PointAward(
        village_id=villager.village_id,
        villager_id=villager.id,
        activity_type=activity_type,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=idempotency_key,
        earned_on=on,
        amount=0,
        capped=False,
        actor_id=actor_id,
        rule_set_id=price.rule_set.id if price.rule_set else None,
    )
    score = price.score
    compiled = compiled_rule_set(price.rule_set) if price.rule_set is not None else None
    if score is None:
        award.reason = award.explanation = NO_RULE_SET if price.rule_set is None else NO_RULE
    else:
        award.rule_code, award.rule_version = score.rule_code, price.rule_set.version
        award.amount, award.capped, award.expires_on = score.amount, score.capped, score.expires_on
        award.reason, award.explanation = score.sentence[:200], score.explanation
        award.category = compiled.rules_by_code[score.rule_code].category or None
        award.hours = facts.get("event.hours")
    if award.amount > 0:
        transfer = earn_points(
            session,
            villager_id=villager.id,
            village_id=villager.village_id,
            amount=award.amount,
            expires_on=award.expires_on,
            rule_code=award.rule_code,
            rule_version=award.rule_version,
            reason=award.reason,
            source_type=source_type,
            source_id=source_id,
            idempotency_key=idempotency_key,
            actor_id=actor_id,
            earned_on=on,
        )
        award.transfer_id = transfer.id
    session.add(award)
    session.flush()
    if award.amount > 0:
        publish_event(
            session,
            event_type="points.awarded",
            village_id=villager.village_id,
            key=f"award:{award.id}",
            data={
                "award_id": award.id,
                "villager_id": villager.id,
                "amount": award.amount,
                "activity_type": activity_type,
                "rule_code": award.rule_code,
                "rule_version": award.rule_version,
                "earned_on": on.isoformat(),
            },
        )
    if score is not None:
        # Badges, stars, streaks and boards count the activity in this same transaction.
        record_participation(session, villager=villager, award=award, rule_set_id=price.rule_set.id, rule_set=compiled)
    return award


def describe_activity_types(*, caller: Caller, on: date) -> dict:
    """What earns points in the villager's village on `on`, in Chinese, from the points rule set in force."""
    villager = bound_villager(db.session, caller)
    rule_set = get_rule_set_in_force(db.session, village_id=villager.village_id, kind="points", on=on)
    if rule_set is None:
        return {"version": None, "effective_from": None, "items": []}
    return {
        "version": rule_set.version,
        "effective_from": rule_set.effective_from,
        "items": describe_points_rules(compiled_rule_set(rule_set)),
    }
