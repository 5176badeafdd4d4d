"""Recording what the villager accepted in `wx.requestSubscribeMessage`: one grant per accepted template."""

from sqlalchemy import func, select

from backend import clock
from backend.errors import InvalidInput
from backend.models import SubscriptionGrant
from backend.services.access import Caller, NotBound, require_role
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.notifications.notify import KINDS, templates

ACCEPTED = "accept"
# What WeChat reports per template besides "accept": refused now, banned by the user, or filtered by WeChat.
OTHER_ANSWERS = ("reject", "ban", "filter")


def record_subscriptions(*, caller: Caller, claim: Claim | None, results: dict[str, str]) -> dict:
    """Add one grant per accepted template; answers other than "accept" are noted and grant nothing."""
    require_role(caller, "villager")
    if caller.villager_id is None:
        raise NotBound()
    known = {template_id: kind for kind, template_id in templates().items()}
    problems = {}
    for template_id, answer in results.items():
        if template_id not in known:
            problems[template_id] = ["不是本小程序使用的订阅消息模板。"]
        elif answer != ACCEPTED and answer not in OTHER_ANSWERS:
            problems[template_id] = ["应为 accept、reject、ban 或 filter。"]
    if problems:
        raise InvalidInput(errors=problems)
    accepted = [template_id for template_id, answer in results.items() if answer == ACCEPTED]
    with claimed_transaction(claim) as session:
        for template_id in accepted:
            session.add(
                SubscriptionGrant(
                    village_id=caller.village_id,
                    user_id=caller.user_id,
                    template_id=template_id,
                    granted_at=clock.now(),
                )
            )
        session.flush()
        remaining = dict(
            session.execute(
                select(SubscriptionGrant.template_id, func.count(SubscriptionGrant.id))
                .where(SubscriptionGrant.user_id == caller.user_id, SubscriptionGrant.used_at.is_(None))
                .group_by(SubscriptionGrant.template_id)
            ).all()
        )
    return {
        "accepted": accepted,
        "templates": [
            {"kind": kind, "label": KINDS[kind], "template_id": template_id, "remaining": remaining.get(template_id, 0)}
            for kind, template_id in templates().items()
            if kind in KINDS
        ],
    }
