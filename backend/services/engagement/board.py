"""The monthly 积分公示 of a village: every villager's points of the month by category and the month's approvals.

While the month is open the board is read live from the tallies. `close_board_month` (run by
`flask engagement close-month` after the month ends) freezes it; awards dated in a frozen month but recorded later
(a late approval, say) are then listed as corrections instead of changing the frozen figures.
"""

import calendar
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import BoardMonth, PointAward, PointsTally, Village, Villager
from backend.models.engagement import ALL_CATEGORIES
from backend.rules.facts import ACTIVITY_TYPES
from backend.services.access import Caller
from backend.services.engagement.masking import public_name
from backend.services.notifications import Notice, notify


def _month_range(month: date) -> tuple[date, date]:
    return month, month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _live_rows(session, village_id: int, month: date) -> list[dict]:
    people: dict[int, dict] = defaultdict(lambda: {"points": {}, "total": 0})
    for villager_id, category, points in session.execute(
        select(PointsTally.villager_id, PointsTally.category, PointsTally.points).where(
            PointsTally.village_id == village_id,
            PointsTally.period == "month",
            PointsTally.period_key == f"{month.year}-{month.month:02d}",
        )
    ):
        if category == ALL_CATEGORIES:
            people[villager_id]["total"] = points
        else:
            people[villager_id]["points"][category] = points
    rows = [{"villager_id": vid, **row} for vid, row in people.items() if row["total"] or row["points"]]
    rows.sort(key=lambda r: (-r["total"], r["villager_id"]))
    return rows


def _approvals(session, village_id: int, month: date, *, recorded_after: datetime | None = None) -> list[dict]:
    first, last = _month_range(month)
    stmt = (
        select(PointAward)
        .where(
            PointAward.village_id == village_id,
            PointAward.source_type == "submission",
            PointAward.earned_on >= first,
            PointAward.earned_on <= last,
        )
        .order_by(PointAward.earned_on, PointAward.id)
    )
    if recorded_after is not None:
        stmt = stmt.where(PointAward.created_at > recorded_after)
    return [
        {
            "villager_id": award.villager_id,
            "on": award.earned_on.isoformat(),
            "activity": ACTIVITY_TYPES.get(award.activity_type, award.activity_type),
            "category": award.category,
            "points": award.amount,
            "recorded_at": award.created_at.isoformat(),
        }
        for award in session.execute(stmt).scalars()
    ]


def _late_awards(session, village_id: int, month: date, after: datetime) -> list[dict]:
    first, last = _month_range(month)
    rows = session.execute(
        select(PointAward).where(
            PointAward.village_id == village_id,
            PointAward.earned_on >= first,
            PointAward.earned_on <= last,
            PointAward.created_at > after,
            PointAward.amount != 0,
        )
    ).scalars()
    return [
        {
            "villager_id": award.villager_id,
            "on": award.earned_on.isoformat(),
            "category": award.category,
            "points": award.amount,
            "recorded_at": award.created_at.isoformat(),
            "reason": "公示后补记",
        }
        for award in rows
    ]


def get_board(*, caller: Caller, village: Village, month: date) -> dict:
    """The board of `month` as villagers of the village and staff see it (masked names, own row in full)."""
    session = db.session
    frozen = session.execute(
        select(BoardMonth).where(BoardMonth.village_id == village.id, BoardMonth.month == month)
    ).scalar_one_or_none()
    if frozen is not None:
        rows, approvals = frozen.rows, frozen.approvals
        corrections = _late_awards(session, village.id, month, frozen.frozen_at)
    else:
        rows, approvals, corrections = (
            _live_rows(session, village.id, month),
            _approvals(session, village.id, month),
            [],
        )
    ids = {r["villager_id"] for r in rows} | {a["villager_id"] for a in approvals + corrections}
    names = {
        vid: (name, choice)
        for vid, name, choice in session.execute(
            select(Villager.id, Villager.name, Villager.ranking_opt_out).where(Villager.id.in_(ids))
        )
    }

    def named(item: dict) -> dict:
        name, choice = names.get(item["villager_id"], ("", None))
        shown = public_name(
            name,
            choice=choice,
            village_default=village.ranking_opt_out_default,
            is_me=item["villager_id"] == caller.villager_id,
        )
        return {
            **{k: v for k, v in item.items() if k != "villager_id"},
            "name": shown,
            "is_me": item["villager_id"] == caller.villager_id,
        }

    return {
        "village_id": village.id,
        "month": f"{month.year}-{month.month:02d}",
        "frozen": frozen is not None,
        "frozen_at": frozen.frozen_at if frozen else None,
        "rows": [named(r) for r in rows],
        "approvals": [named(a) for a in approvals],
        "corrections": [named(c) for c in corrections],
    }


def close_board_month(*, village_id: int, month: date) -> BoardMonth | None:
    """Freeze the month's board and tell the village's villagers; None if it was frozen already."""
    if month >= clock.today().replace(day=1):
        raise ValueError("only a month that has ended can be closed")
    with write_transaction() as session:
        exists = session.execute(
            select(BoardMonth.id).where(BoardMonth.village_id == village_id, BoardMonth.month == month)
        ).first()
        if exists:
            return None
        board = BoardMonth(
            village_id=village_id,
            month=month,
            frozen_at=clock.now(),
            rows=_live_rows(session, village_id, month),
            approvals=_approvals(session, village_id, month),
        )
        session.add(board)
        session.flush()
        label = f"{month.year}年{month.month}月"
        for villager_id in session.execute(
            select(Villager.id).where(Villager.village_id == village_id, Villager.status == "active")
        ).scalars():
            notify(
                session,
                Notice(
                    villager_id=villager_id,
                    village_id=village_id,
                    kind="board_published",
                    title="积分公示",
                    body=f"{label}积分公示已发布，请在小程序中查看。",
                    entity_type="board_month",
                    entity_id=board.id,
                    dedupe_key=f"board:{board.id}:{villager_id}",
                ),
            )
        return board
