"""公示 of the credit process: honours and deductions still in their notice window, for the whole village to see."""

from datetime import timedelta

from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import CreditEntry, Village, Villager
from backend.rules.explain import format_date
from backend.services.access import Caller
from backend.services.credit import version_on
from backend.services.engagement.masking import mask_name

HOW_TO_OBJECT = (
    "对本人的记录：在小程序「我的信用」中对该条记录提出异议；对他人的记录：于截止日前向村委会书面或当面反映。"
)


def list_notices(*, caller: Caller, village: Village) -> list[dict]:
    """Entries whose notice window is open today, newest first, names masked (the villager's own in full)."""
    today = clock.today()
    rows = db.session.execute(
        select(CreditEntry, Villager.name)
        .join(Villager, Villager.id == CreditEntry.villager_id)
        .where(
            CreditEntry.village_id == village.id,
            CreditEntry.origin.in_(("violation", "honour")),
            CreditEntry.status.in_(("counted", "frozen")),
            CreditEntry.counts_from > today,
        )
        .order_by(CreditEntry.id.desc())
    ).all()
    titles = {}
    if rows:
        rules = version_on(db.session, village.id, today).rules_by_code
        titles = {code: rule.title for code, rule in rules.items()}
    notices = []
    for entry, name in rows:
        deadline = entry.counts_from - timedelta(days=1)
        mine = entry.villager_id == caller.villager_id
        notices.append(
            {
                "entry_id": entry.id if mine else None,
                "kind": "honour" if entry.origin == "honour" else "deduction",
                "kind_label": "表彰加分" if entry.origin == "honour" else "扣分",
                "name": name if mine else mask_name(name),
                "rule_code": entry.rule_code,
                "title": titles.get(entry.rule_code, entry.rule_code),
                "occurred_on": entry.occurred_on,
                "objection_deadline": deadline,
                "objected": entry.status == "frozen",
                "is_me": mine,
                "how_to_object": f"异议截止 {format_date(deadline)}。{HOW_TO_OBJECT}",
            }
        )
    return notices
