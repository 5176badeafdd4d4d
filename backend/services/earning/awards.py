"""Awarding points for an activity: the rule set in force, its caps, and one booking per idempotency key.

Every activity (vote, lesson, check-in, reviewed submission) earns through `award_points`, inside the
caller's write transaction.
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import PointAward, Villager
from backend.rules import RuleError, describe_points_rules, score_activity, villager_facts
from backend.services.access import Caller, bound_villager
from backend.services.ledger.balances import points_earned_between
from backend.services.ledger.postings import earn_points
from backend.services.rulesets.versions import compiled_rule_set, get_rule_set_in_force
from backend.services.webhooks.events import publish_event

NO_RULE_SET = "本村尚未发布积分规则，本次不加分"
NO_RULE = "本村积分规则中没有适用于此项活动的条目，本次不加分"


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
) -> PointAward:
    """Score the activity under the points rule set in force on `on` and book it; never twice for one key.

    The award's `amount` may be 0 (capped, no rule, no rule set), with a Chinese `explanation`. A repeated
    key returns the first award unchanged. Raises InvalidInput when `amount_override` is outside the rule.
    """
    # Caps read what was already earned: the villager's row lock keeps two awards from both reading "room left".
    session.execute(select(Villager.id).where(Villager.id == villager.id).with_for_update())
    existing = session.execute(
        select(PointAward).where(
            PointAward.village_id == villager.village_id, PointAward.idempotency_key == idempotency_key
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
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
    )
    rule_set = get_rule_set_in_force(session, village_id=villager.village_id, kind="points", on=on)
    score = None
    if rule_set is not None:
        all_facts = {**villager_facts(villager, on), **facts, "activity.type": activity_type}

        def earned(rule_code: str, _key: str, start: date, end: date) -> int:
            return points_earned_between(session, villager_id=villager.id, rule_code=rule_code, start=start, end=end)

        try:
            score = score_activity(
                compiled_rule_set(rule_set),
                activity_facts=all_facts,
                on=on,
                period_totals=earned,
                amount_override=amount_override,
            )
        except RuleError as error:
            raise InvalidInput(errors={"amount": [error.message]}) from error
    if score is None:
        award.reason = award.explanation = NO_RULE_SET if rule_set is None else NO_RULE
        award.rule_set_id = rule_set.id if rule_set else None
    else:
        award.rule_set_id, award.rule_code, award.rule_version = rule_set.id, score.rule_code, rule_set.version
        award.amount, award.capped, award.expires_on = score.amount, score.capped, score.expires_on
        award.reason, award.explanation = score.sentence[:200], score.explanation
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
