"""Leaderboards of a village, a 村民小组 or its households, for this week, month or year, optionally per category.

Reads the materialised tallies (one indexed range per board) with statements built once with bound parameters,
and ranks with shared ranks for ties (1, 2, 2, 4).
"""

from dataclasses import dataclass

from sqlalchemy import Integer, and_, bindparam, case, cast, func, select

from backend import clock
from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import PointsTally, Village, Villager
from backend.models.engagement import ALL_CATEGORIES
from backend.services.access import Caller, check_village_in_scope
from backend.services.engagement.masking import ANONYMOUS_HOUSEHOLD, mask_name, opted_out, public_name
from backend.services.engagement.periods import period_keys

SCOPES = ("village", "group", "household")

_ROWS = and_(
    PointsTally.village_id == bindparam("village_id"),
    PointsTally.period == bindparam("period"),
    PointsTally.period_key == bindparam("period_key"),
    PointsTally.category == bindparam("category"),
)
_IN_GROUP = Villager.group_name == bindparam("group")
_TOP = (
    select(Villager.id, Villager.name, Villager.ranking_opt_out, PointsTally.points)
    .join(PointsTally, PointsTally.villager_id == Villager.id)
    .where(_ROWS, PointsTally.points > 0)
    .order_by(PointsTally.points.desc(), Villager.id)
    .limit(bindparam("limit"))
)
_MINE = select(PointsTally.points).where(_ROWS, PointsTally.villager_id == bindparam("me"))
_AHEAD = select(func.count(PointsTally.id)).where(_ROWS, PointsTally.points > bindparam("mine"))
_AHEAD_IN_GROUP = _AHEAD.join(Villager, Villager.id == PointsTally.villager_id).where(_IN_GROUP)

# Households: every active member counts towards per capita, whether or not they earned anything.
_HOUSEHOLD_TOTAL = func.coalesce(func.sum(PointsTally.points), 0)
_MEMBERS = func.count(Villager.id)
_HOUSEHOLDS = (
    select(
        Villager.household_id,
        _HOUSEHOLD_TOTAL.label("points"),
        _MEMBERS.label("members"),
        func.max(case((Villager.is_head, Villager.name))).label("head"),
        func.max(case((Villager.is_head, cast(Villager.ranking_opt_out, Integer)))).label("head_opt_out"),
    )
    .outerjoin(PointsTally, and_(PointsTally.villager_id == Villager.id, _ROWS))
    .where(
        Villager.village_id == bindparam("village_id"),
        Villager.status == "active",
        Villager.household_id.is_not(None),
    )
    .group_by(Villager.household_id)
    .having(_HOUSEHOLD_TOTAL > 0)
)


@dataclass(frozen=True, slots=True)
class Viewer:
    village_id: int
    opt_out_default: bool
    villager_id: int | None = None
    name: str | None = None
    group: str | None = None
    household_id: int | None = None


def _viewer(caller: Caller, village_id: int | None) -> Viewer:
    if caller.role == "villager":
        if caller.villager_id is None:
            raise InvalidInput(errors={"village_id": ["请先绑定村民身份。"]})
        row = db.session.execute(
            select(Village.ranking_opt_out_default, Villager.name, Villager.group_name, Villager.household_id)
            .join(Village, Village.id == Villager.village_id)
            .where(Villager.id == caller.villager_id)
        ).one()
        return Viewer(caller.village_id, row[0], caller.villager_id, row[1], row[2], row[3])
    if village_id is None:
        raise InvalidInput(errors={"village_id": ["请指定村。"]})
    village = check_village_in_scope(caller, village_id)
    return Viewer(village.id, village.ranking_opt_out_default)


def get_leaderboard(
    *,
    caller: Caller,
    scope: str,
    period: str,
    category: str | None,
    village_id: int | None,
    group: str | None,
    order: str,
    limit: int,
) -> dict:
    """Ranked rows with public names, and the caller's own row in full with its rank (villagers)."""
    viewer = _viewer(caller, village_id)
    key = period_keys(clock.today())[period]
    if scope == "group":
        group = viewer.group if viewer.villager_id else group
        if not group:
            raise InvalidInput(errors={"group": ["请指定村民小组。"]})
    params = {
        "village_id": viewer.village_id,
        "period": period,
        "period_key": key,
        "category": category or ALL_CATEGORIES,
        "limit": limit,
        "group": group,
    }
    base = {"scope": scope, "period": period, "period_key": key, "category": category, "group": group}
    if scope == "household":
        return {**base, **_households(viewer, params, order)}
    top = _TOP.where(_IN_GROUP) if scope == "group" else _TOP
    rows = []
    for rank, (villager_id, name, choice, points) in _ranked(db.session.execute(top, params), key=lambda r: r[3]):
        is_me = villager_id == viewer.villager_id
        shown = public_name(name, choice=choice, village_default=viewer.opt_out_default, is_me=is_me)
        rows.append({"rank": rank, "name": shown, "points": points, "is_me": is_me})
    mine = None
    if viewer.villager_id is not None and (scope != "group" or viewer.group == group):
        points = db.session.execute(_MINE, {**params, "me": viewer.villager_id}).scalar() or 0
        ahead = db.session.execute(_AHEAD_IN_GROUP if scope == "group" else _AHEAD, {**params, "mine": points})
        mine = {"rank": ahead.scalar_one() + 1, "name": viewer.name, "points": points, "is_me": True}
    return {**base, "items": rows, "me": mine}


def _ranked(rows, *, key):
    """(rank, row) with shared ranks for equal keys, in the rows' order."""
    rank, previous = 0, None
    for position, row in enumerate(rows, start=1):
        value = key(row)
        rank = rank if value == previous else position
        previous = value
        yield rank, row


def _households(viewer: Viewer, params: dict, order: str) -> dict:
    households = [
        {
            "household_id": row.household_id,
            "points": int(row.points),
            "members": row.members,
            "per_capita": round(row.points / row.members, 1),
            "head": row.head,
            "head_opt_out": None if row.head_opt_out is None else bool(row.head_opt_out),
        }
        for row in db.session.execute(_HOUSEHOLDS, params)
    ]
    sort_key = "per_capita" if order == "per_capita" else "points"
    households.sort(key=lambda h: (-h[sort_key], h["household_id"]))
    items, mine = [], None
    for rank, household in _ranked(households, key=lambda h: h[sort_key]):
        is_me = household["household_id"] == viewer.household_id
        head = household["head"]
        if is_me:
            label = f"{head}家" if head else "我家"
        elif not head or opted_out(household["head_opt_out"], viewer.opt_out_default):
            label = ANONYMOUS_HOUSEHOLD
        else:
            label = f"{mask_name(head)}家"
        entry = {"rank": rank, "name": label, "is_me": is_me, **{k: household[k] for k in ("points", "members")}}
        entry["per_capita"] = household["per_capita"]
        if is_me:
            mine = entry
        if len(items) < params["limit"]:
            items.append(entry)
    return {"items": items, "me": mine}
