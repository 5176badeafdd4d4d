"""Reminders that points are about to expire: once 30 days before their last day, once more 7 days before."""

from datetime import timedelta

from sqlalchemy import func, select

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import Account, Lot
from backend.rules.explain import format_date
from backend.services.notifications.notify import Notice, notify

REMINDER_DAYS = (30, 7)


def remind_expiring_points() -> int:
    """Notify each villager with points whose last day is within 30 (then 7) days; a rerun notifies nobody twice.

    Keyed by villager, last day and reminder, so a missed day of cron catches up without repeating itself.
    """
    today = clock.today()
    sent = 0
    for days in REMINDER_DAYS:
        until = today + timedelta(days=days)
        rows = _due(today, until)
        with write_transaction() as session:
            for villager_id, village_id, last_day, amount in rows:
                found = notify(
                    session,
                    Notice(
                        villager_id=villager_id,
                        village_id=village_id,
                        kind="points_expiring",
                        title="积分即将到期",
                        body=f"您有 {amount} 积分将于{format_date(last_day)}到期，请及时到积分超市兑换。",
                        dedupe_key=f"expiring:{villager_id}:{last_day.isoformat()}:{days}",
                    ),
                )
                sent += found is not None
    return sent


def _due(today, until):
    return db.session.execute(
        select(Account.villager_id, Lot.village_id, Lot.expires_on, func.sum(Lot.remaining))
        .join(Account, Account.id == Lot.account_id)
        .where(Lot.remaining > 0, Lot.expires_on >= today, Lot.expires_on <= until, Account.villager_id.is_not(None))
        .group_by(Account.villager_id, Lot.village_id, Lot.expires_on)
        .order_by(Lot.expires_on)
    ).all()
