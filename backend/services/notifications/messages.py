"""The notifications each event of the credit and earning processes sends, in the villager's words."""

from datetime import timedelta

from backend.models import CreditEntry, CreditRepair, Submission
from backend.rules.explain import format_date
from backend.services.notifications.notify import Notice

_CLAIM = {"speak": "说一说", "photo": "拍一拍"}


def claim_decided(submission: Submission) -> Notice:
    """A speak or photo claim approved (with its points) or rejected (with the reason and the right to appeal)."""
    what = _CLAIM.get(submission.activity_type, "申报")
    if submission.status == "approved":
        title, body = "申报已通过", f"您的{what}申报已通过，获得 {submission.points_awarded or 0} 积分。"
    else:
        title, body = "申报未通过", f"您的{what}申报未通过：{submission.rejection_reason}。如有异议可申诉一次。"
    return Notice(
        villager_id=submission.villager_id,
        village_id=submission.village_id,
        kind="claim_decided",
        title=title,
        body=body,
        entity_type="submission",
        entity_id=submission.id,
        dedupe_key=f"submission:{submission.id}:{submission.status}:{submission.decided_at}",
    )


def notice_published(entry: CreditEntry, title: str) -> Notice:
    """An entry naming the villager entered its public notice (公示): what, until when they may object."""
    last_day = format_date(entry.counts_from - timedelta(days=1))
    kind = "表彰" if entry.origin == "honour" else "扣分"
    return Notice(
        villager_id=entry.villager_id,
        village_id=entry.village_id,
        kind="notice_published",
        title=f"{kind}公示",
        body=f"「{title}」已进入公示，{last_day}前可提出异议。",
        entity_type="credit_entry",
        entity_id=entry.id,
        dedupe_key=f"notice:{entry.id}",
    )


def objection_decided(entry: CreditEntry, *, upheld: bool, note: str) -> Notice:
    outcome = "异议成立，该记录已撤销" if upheld else "异议不成立，该记录公示期满后生效"
    return Notice(
        villager_id=entry.villager_id,
        village_id=entry.village_id,
        kind="decision",
        title="异议处理结果",
        body=f"{outcome}。{note}",
        entity_type="credit_entry",
        entity_id=entry.id,
        dedupe_key=f"objection:{entry.id}",
    )


def repair_decided(repair: CreditRepair) -> Notice:
    outcome = "信用修复申请已批准" if repair.status == "approved" else f"信用修复申请未获批准：{repair.decision_note}"
    return Notice(
        villager_id=repair.villager_id,
        village_id=repair.village_id,
        kind="decision",
        title="信用修复结果",
        body=outcome,
        entity_type="credit_repair",
        entity_id=repair.id,
        dedupe_key=f"repair:{repair.id}",
    )
