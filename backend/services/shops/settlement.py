"""What shops sold and what villages owe them: sales history, monthly settlements and their .xlsx export."""

import io
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, NotFound
from backend.extensions import db
from backend.models import Redemption, Shop, ShopFunding, ShopOrder, ShopSettlement, Village
from backend.services.access import STAFF_ROLES, Caller
from backend.services.audit import record_audit
from backend.services.paging import paginate
from backend.services.shops.catalogue import DEFAULT_RATE_E4, amount_fen, can_manage_shop, rate_text
from backend.settings import current_settings


class MonthNotOver(Conflict):
    status, message = "month_not_over", "%(month)s 尚未结束或仍在撤销期内，暂不能结算。"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=clock.VILLAGE_TZ).astimezone(UTC).replace(tzinfo=None)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The stored (naive UTC) start and end of a village day."""
    start = datetime.combine(day, time())
    return _utc(start), _utc(start + timedelta(days=1))


def month_start(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1)


def _sales_villages(caller: Caller, shop: Shop) -> int | None:
    """The one village whose sales the caller may see (a committee at a town-wide shop), or None for all."""
    if caller.role == "shopkeeper":
        if caller.shop_id != shop.id:
            raise Forbidden()
        return None
    if caller.role == "committee" and shop.village_id is None:
        return caller.village_id
    if caller.role in STAFF_ROLES:
        return None
    raise Forbidden()


def get_sale_or_404(redemption_id: int) -> Redemption:
    """A sale by id; who may act on it is the use case's decision (a keeper of another shop gets 403)."""
    sale = db.session.get(Redemption, redemption_id)
    if sale is None:
        raise NotFound()
    return sale


def get_order_or_404(order_id: int) -> ShopOrder:
    order = db.session.get(ShopOrder, order_id)
    if order is None:
        raise NotFound()
    return order


def get_order(*, caller: Caller, order_id: int) -> ShopOrder:
    """An order, for the villager who placed it or a keeper of its shop only."""
    order = db.session.get(ShopOrder, order_id)
    mine = order is not None and (
        (caller.role == "villager" and order.villager_id == caller.villager_id)
        or (caller.role == "shopkeeper" and order.shop_id == caller.shop_id)
    )
    if not mine:
        raise NotFound()
    return order


def list_orders(*, caller: Caller, shop: Shop, status: str, limit: int, cursor: str | None) -> dict:
    """A shop's orders in one state, newest first; a committee at a town-wide shop sees its own village's."""
    village_id = _sales_villages(caller, shop)
    stmt = select(ShopOrder).where(ShopOrder.shop_id == shop.id, ShopOrder.status == status)
    if village_id is not None:
        stmt = stmt.where(ShopOrder.village_id == village_id)
    return paginate(stmt, ShopOrder.id, limit=limit, cursor=cursor)


def list_my_redemptions(*, caller: Caller, limit: int, cursor: str | None) -> dict:
    """The signed-in villager's sales, newest first (an unbound user has none)."""
    stmt = select(Redemption).where(Redemption.villager_id == (caller.villager_id or 0))
    return paginate(stmt, Redemption.id, limit=limit, cursor=cursor)


def list_sales(
    *, caller: Caller, shop: Shop, day: date | None, month: str | None, limit: int, cursor: str | None
) -> dict:
    """A shop's sales of one village day or month (today if neither is given), newest first."""
    village_id = _sales_villages(caller, shop)
    stmt = select(Redemption).where(Redemption.shop_id == shop.id)
    if village_id is not None:
        stmt = stmt.where(Redemption.village_id == village_id)
    if month:
        stmt = stmt.where(Redemption.month == month)
    else:
        start, end = day_bounds(day or clock.today())
        stmt = stmt.where(Redemption.created_at >= start, Redemption.created_at < end)
    return paginate(stmt, Redemption.id, limit=limit, cursor=cursor)


def _figures(shop: Shop, month: str, village_id: int | None) -> list[dict]:
    completed = Redemption.status == "completed"
    stmt = (
        select(
            Redemption.village_id,
            func.count(Redemption.id),
            func.sum(case((completed, 0), else_=1)),
            func.sum(case((completed, Redemption.points), else_=0)),
        )
        .where(Redemption.shop_id == shop.id, Redemption.month == month)
        .group_by(Redemption.village_id)
        .order_by(Redemption.village_id)
    )
    if village_id is not None:
        stmt = stmt.where(Redemption.village_id == village_id)
    rows = db.session.execute(stmt).all()
    ids = [row[0] for row in rows]
    villages = {v.id: v for v in db.session.execute(select(Village).where(Village.id.in_(ids))).scalars()}
    rates = {
        f.village_id: f.yuan_per_point_e4
        for f in db.session.execute(select(ShopFunding).where(ShopFunding.village_id.in_(ids))).scalars()
    }
    closed = {
        s.village_id: s
        for s in db.session.execute(
            select(ShopSettlement).where(ShopSettlement.shop_id == shop.id, ShopSettlement.month == month)
        ).scalars()
    }
    lines = []
    for vid, sales, voids, points in rows:
        done = closed.get(vid)
        rate = done.yuan_per_point_e4 if done else rates.get(vid, DEFAULT_RATE_E4)
        points = int(points or 0)
        lines.append(
            {
                "village_id": vid,
                "village_name": villages[vid].name,
                "redemptions": int(sales) - int(voids or 0),
                "voids": int(voids or 0),
                "points": done.points if done else points,
                "yuan_per_point": rate_text(rate),
                "rate_e4": rate,
                "amount_fen": done.amount_fen if done else amount_fen(points, rate),
                "closed_at": done.closed_at if done else None,
            }
        )
    return lines


def shop_settlement(*, caller: Caller, shop: Shop, month: str) -> dict:
    """One shop's month: per village the sales, voids, points and the amount owed (fen and yuan)."""
    lines = _figures(shop, month, _sales_villages(caller, shop))
    for line in lines:
        line["amount_yuan"] = f"{line['amount_fen'] / 100:.2f}"
    total_fen = sum(line["amount_fen"] for line in lines)
    return {
        "shop_id": shop.id,
        "shop_name": shop.name,
        "month": month,
        "villages": lines,
        "redemptions": sum(line["redemptions"] for line in lines),
        "voids": sum(line["voids"] for line in lines),
        "points": sum(line["points"] for line in lines),
        "amount_fen": total_fen,
        "amount_yuan": f"{total_fen / 100:.2f}",
        "closed": bool(lines) and all(line["closed_at"] for line in lines),
    }


def close_settlement(*, caller: Caller, shop: Shop, month: str) -> dict:
    """Freeze a finished month's figures (after the void window has passed); closing again changes nothing."""
    town_wide_committee = caller.role == "committee" and shop.village_id is None
    if not (can_manage_shop(caller, shop) or town_wide_committee):
        raise Forbidden()
    start = month_start(month)
    next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    settle_after = day_bounds(next_month)[0] + timedelta(hours=current_settings().redemption_void_hours)
    if clock.now() < settle_after:
        raise MonthNotOver(month=month)
    with write_transaction() as session:
        for line in _figures(shop, month, _sales_villages(caller, shop)):
            if line["closed_at"]:
                continue
            settlement = ShopSettlement(
                shop_id=shop.id,
                village_id=line["village_id"],
                month=month,
                redemptions=line["redemptions"],
                voids=line["voids"],
                points=line["points"],
                yuan_per_point_e4=line["rate_e4"],
                amount_fen=line["amount_fen"],
                closed_by_id=caller.user_id or None,
            )
            session.add(settlement)
            record_audit(
                session,
                actor=caller,
                action="shop_settlement.close",
                entity=settlement,
                after={"month": month, "points": line["points"], "amount_fen": line["amount_fen"]},
                village_id=line["village_id"],
            )
    return shop_settlement(caller=caller, shop=shop, month=month)


def settlement_xlsx(*, caller: Caller, shop: Shop, month: str) -> bytes:
    """The settlement as a one-sheet workbook for the village accountant."""
    from openpyxl import Workbook  # about 16 MB per worker: loaded only when a workbook is written

    report = shop_settlement(caller=caller, shop=shop, month=month)
    book = Workbook()
    sheet = book.active
    sheet.title = f"{month} 结算"
    sheet.append(["商店", report["shop_name"], "月份", month, "状态", "已结算" if report["closed"] else "未结算"])
    sheet.append([])
    sheet.append(["村", "兑换笔数", "撤销笔数", "积分", "每分折合（元）", "应付金额（元）"])
    for line in report["villages"]:
        sheet.append(
            [
                line["village_name"],
                line["redemptions"],
                line["voids"],
                line["points"],
                float(line["yuan_per_point"]),
                line["amount_fen"] / 100,
            ]
        )
    sheet.append(["合计", report["redemptions"], report["voids"], report["points"], None, report["amount_fen"] / 100])
    for column, width in zip("ABCDEF", (14, 10, 10, 10, 16, 16), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
