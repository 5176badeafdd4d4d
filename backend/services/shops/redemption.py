"""Spending points at a shop: redeem with a pay code, confirm a shop order, void a sale.

Each use case is one transaction that takes its locks in one order (the pay code or order row, then the ledger
accounts through the ledger, then item rows by ascending id, then the village's budget row), so that concurrent
sales, voids and confirmations cannot deadlock and a failure leaves nothing half-written.
"""

import secrets
from collections import OrderedDict
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from backend.models import (
    BudgetUsage,
    Redemption,
    RedemptionLine,
    RewardItem,
    Shop,
    ShopFunding,
    ShopOrder,
    User,
    Village,
)
from backend.services.access import Caller, NotBound
from backend.services.audit import record_audit
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.ledger import lock_sale_accounts, reverse_transfer, spend_points
from backend.services.shops.gates import redemption_block_reason
from backend.services.shops.pay_codes import RedemptionBlocked, consume_pay_code
from backend.services.webhooks import publish_event
from backend.settings import current_settings


class WrongShop(Forbidden):
    status, message = "not_your_shop", "您不是该商店的店主，不能在此收款。"


class ShopNotActive(Conflict):
    status, message = "shop_not_active", "该商店已暂停营业，不能兑换。"


class NotServed(Forbidden):
    status, message = "village_not_served", "该村民所在的村不在本店的服务范围内。"


class OutOfStock(Conflict):
    status, message = "out_of_stock", "「%(item)s」库存不足（剩余 %(left)s 件）。"


class LimitReached(Conflict):
    status, message = "limit_reached", "「%(item)s」每人每月限兑 %(limit)s 件，本月已兑 %(used)s 件。"


class BudgetExhausted(Conflict):
    status, message = "budget_exhausted", "本村本月的兑换预算不足（剩余 %(left)s 分），请联系村委会。"


class VoidWindowClosed(Conflict):
    status, message = "void_window_closed", "已超过 %(hours)s 小时的撤销期限，不能撤销。"


class OrderClosed(Conflict):
    status, message = "order_closed", "该订单已处理（%(status)s）。"


class OrderExpired(Gone):
    status, message = "order_expired", "订单已过期，请让村民重新下单。"


class PriceChanged(Conflict):
    status, message = "price_changed", "商品价格已变动（现需 %(points)s 分），请让村民重新下单。"


ORDER_STATUS_TEXT = {"confirmed": "已确认", "rejected": "已拒绝", "pending": "待确认"}


def month_of(moment) -> str:
    return clock.local_date(moment).strftime("%Y-%m")


def _merge_lines(items: list[dict]) -> OrderedDict:
    merged: OrderedDict = OrderedDict()
    for line in items:
        merged[line["item_id"]] = merged.get(line["item_id"], 0) + line["quantity"]
    return merged


def _load_items(session, shop: Shop, wanted: OrderedDict) -> list[tuple[RewardItem, int]]:
    """The shop's items with their quantities; 422 naming each line that is not on sale here now."""
    found = {i.id: i for i in session.execute(select(RewardItem).where(RewardItem.id.in_(wanted))).scalars()}
    moment = clock.now()
    errors = {}
    for position, item_id in enumerate(wanted):
        item = found.get(item_id)
        if item is None or item.shop_id != shop.id:
            errors[str(position)] = ["本店没有该商品。"]
        elif (
            not item.is_active
            or (item.active_from and item.active_from > moment)
            or (item.active_until and item.active_until <= moment)
        ):
            errors[str(position)] = [f"「{item.name}」当前不可兑换。"]
    if errors:
        raise InvalidInput(errors={"items": errors})
    return [(found[item_id], quantity) for item_id, quantity in wanted.items()]


def _check_served(session, shop: Shop, village_id: int) -> None:
    if shop.status != "active":
        raise ShopNotActive()
    if shop.village_id is not None:
        if shop.village_id != village_id:
            raise NotServed()
    elif session.get(Village, village_id).town_id != shop.town_id:
        raise NotServed()


def _check_limits(session, sale: Redemption, lines: list[tuple[RewardItem, int]]) -> None:
    """Per-person monthly limits, read under the villager's account lock (taken by the ledger's spend).

    Counts the villager's other completed sales of the month (this sale's own lines are already written).
    """
    limited = {item.id: (item, quantity) for item, quantity in lines if item.monthly_limit is not None}
    if not limited:
        return
    used = dict(
        session.execute(
            select(RedemptionLine.item_id, func.sum(RedemptionLine.quantity))
            .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
            .where(
                Redemption.villager_id == sale.villager_id,
                Redemption.month == sale.month,
                Redemption.status == "completed",
                Redemption.id != sale.id,
                RedemptionLine.item_id.in_(limited),
            )
            .group_by(RedemptionLine.item_id)
        ).all()
    )
    for item_id, (item, quantity) in limited.items():
        already = used.get(item_id, 0) or 0
        if already + quantity > item.monthly_limit:
            raise LimitReached(item=item.name, limit=item.monthly_limit, used=already)


def _take_stock(session, lines: list[tuple[RewardItem, int]]) -> None:
    for item, quantity in sorted(lines, key=lambda pair: pair[0].id):
        if item.stock is None:
            continue
        taken = session.execute(
            update(RewardItem)
            .where(RewardItem.id == item.id, RewardItem.stock >= quantity)
            .values(stock=RewardItem.stock - quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            session.refresh(item)
            raise OutOfStock(item=item.name, left=item.stock or 0)


def _charge_budget(session, village_id: int, month: str, points: int) -> None:
    """Count `points` against the village's month; refused beyond its budget. A guarded UPDATE on one row."""
    limit = select(ShopFunding.monthly_budget_points).where(ShopFunding.village_id == village_id)
    budget = limit.scalar_subquery()
    after = BudgetUsage.points + points
    stmt = (
        update(BudgetUsage)
        .where(BudgetUsage.village_id == village_id, BudgetUsage.month == month)
        .where(func.coalesce(budget, after) >= after)  # no funding row or no budget set: unlimited
        .values(points=after)
        .execution_options(synchronize_session=False)
    )
    if session.execute(stmt).rowcount == 1:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(BudgetUsage).values(village_id=village_id, month=month, points=0).on_conflict_do_nothing())
    if session.execute(stmt).rowcount != 1:
        used = session.execute(
            select(BudgetUsage.points).where(BudgetUsage.village_id == village_id, BudgetUsage.month == month)
        ).scalar_one()
        raise BudgetExhausted(left=max(session.execute(limit).scalar_one() - used, 0))


def _release_budget(session, village_id: int, month: str, points: int) -> None:
    session.execute(
        update(BudgetUsage)
        .where(BudgetUsage.village_id == village_id, BudgetUsage.month == month)
        .values(points=BudgetUsage.points - points)
        .execution_options(synchronize_session=False)
    )


def _receipt_no(moment) -> str:
    return clock.local_date(moment).strftime("%Y%m%d") + f"{secrets.randbelow(10**10):010d}"


def sell_items(
    session,
    *,
    shop: Shop,
    villager_id: int,
    village_id: int,
    items: list[dict],
    shopkeeper_id: int,
    pay_code_id: int | None = None,
    order_id: int | None = None,
    expected_points: int | None = None,
) -> Redemption:
    """The one path of every sale, inside the caller's transaction."""
    reason = redemption_block_reason(session, villager_id)
    if reason:
        raise RedemptionBlocked(reason)
    _check_served(session, shop, village_id)
    lines = _load_items(session, shop, _merge_lines(items))
    total = sum(item.price_points * quantity for item, quantity in lines)
    if expected_points is not None and total != expected_points:
        raise PriceChanged(points=total)
    for item, quantity in lines:
        if item.stock is not None and item.stock < quantity:
            raise OutOfStock(item=item.name, left=item.stock)
    moment = clock.now()
    month = month_of(moment)
    # The lines and the shop go in with the sale (one flush), and stay loaded for the receipt after the commit.
    sale = Redemption(
        village_id=village_id,
        receipt_no=_receipt_no(moment),
        shop_id=shop.id,
        shop=shop,
        villager_id=villager_id,
        pay_code_id=pay_code_id,
        order_id=order_id,
        shopkeeper_id=shopkeeper_id,
        points=total,
        balance_after=0,
        month=month,
        status="completed",
        created_at=moment,
        lines=[
            RedemptionLine(
                village_id=village_id,
                item_id=item.id,
                item_name=item.name,
                unit_points=item.price_points,
                quantity=quantity,
                points=item.price_points * quantity,
            )
            for item, quantity in lines
        ],
    )
    session.add(sale)
    session.flush()
    villager, shop_account = lock_sale_accounts(
        session, villager_id=villager_id, village_id=village_id, shop_id=shop.id
    )
    transfer = spend_points(
        session,
        villager_id=villager_id,
        village_id=village_id,
        to_account=shop_account,
        amount=total,
        reason=f"{shop.name} 兑换（小票 {sale.receipt_no}）",
        source_type="redemption",
        source_id=sale.id,
        idempotency_key=f"redemption:{sale.id}",
        actor_id=shopkeeper_id,
        from_account=villager,
        new_key=True,
        locked=True,
    )
    _check_limits(session, sale, lines)
    _take_stock(session, lines)
    _charge_budget(session, village_id, month, total)
    # Both set at once after the last statement: one UPDATE, flushed by the commit.
    sale.transfer_id, sale.balance_after = transfer.id, villager.balance
    publish_event(
        session,
        event_type="redemption.completed",
        village_id=village_id,
        key=f"redemption:{sale.id}",
        data={
            "redemption_id": sale.id,
            "receipt_no": sale.receipt_no,
            "shop_id": shop.id,
            "villager_id": villager_id,
            "points": total,
        },
    )
    return sale


def redeem_points(
    *, caller: Caller, shop_id: int, pay_code: str, items: list[dict], claim: Claim | None = None
) -> Redemption:
    """Scan-to-pay: consume the villager's pay code and sell `items` at the caller's shop, all or nothing.

    Under `claim` (the request's Idempotency-Key) the sale, the claim of its key and the answer commit together.
    """
    if caller.role != "shopkeeper" or caller.shop_id != shop_id:
        raise WrongShop()
    with claimed_transaction(claim) as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFound()
        code = consume_pay_code(session, pay_code)
        sale = sell_items(
            session,
            shop=shop,
            villager_id=code.villager_id,
            village_id=code.village_id,
            items=items,
            shopkeeper_id=caller.user_id,
            pay_code_id=code.id,
        )
        return sale


def void_redemption(*, caller: Caller, redemption: Redemption) -> Redemption:
    """Undo a sale within REDEMPTION_VOID_HOURS: reversing transfer, stock and budget back; idempotent."""
    if caller.role != "shopkeeper" or caller.shop_id != redemption.shop_id:
        raise WrongShop()
    hours = current_settings().redemption_void_hours
    with write_transaction() as session:
        sale = session.get(Redemption, redemption.id)
        if sale.status == "voided":
            return sale
        moment = clock.now()
        if moment - sale.created_at > timedelta(hours=hours):
            raise VoidWindowClosed(hours=hours)
        changed = session.execute(
            update(Redemption)
            .where(Redemption.id == sale.id, Redemption.status == "completed")
            .values(status="voided", voided_at=moment, voided_by_id=caller.user_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.refresh(sale)
        if changed != 1:
            return sale  # a concurrent void of the same sale won; it is voided either way
        reversal = reverse_transfer(
            session,
            transfer_id=sale.transfer_id,
            reason=f"撤销兑换（小票 {sale.receipt_no}）",
            idempotency_key=f"redemption-void:{sale.id}",
            actor_id=caller.user_id,
        )
        for line in sorted(sale.lines, key=lambda line: line.item_id):
            session.execute(
                update(RewardItem)
                .where(RewardItem.id == line.item_id, RewardItem.stock.is_not(None))
                .values(stock=RewardItem.stock + line.quantity)
                .execution_options(synchronize_session=False)
            )
        _release_budget(session, sale.village_id, sale.month, sale.points)
        sale.void_transfer_id = reversal.id
        record_audit(
            session,
            actor=caller,
            action="redemption.void",
            entity=sale,
            before={"status": "completed", "points": sale.points, "transfer_id": sale.transfer_id},
            after={"status": "voided", "void_transfer_id": reversal.id, "receipt_no": sale.receipt_no},
        )
        return sale


def place_order(*, caller: Caller, shop: Shop, items: list[dict], claim: Claim | None = None) -> ShopOrder:
    """The reverse flow: a villager who scanned the shop's QR code asks for `items`; the shopkeeper decides."""
    with claimed_transaction(claim) as session:
        user = session.get(User, caller.user_id)
        if user.villager_id is None:
            raise NotBound()
        reason = redemption_block_reason(session, user.villager_id)
        if reason:
            raise RedemptionBlocked(reason)
        _check_served(session, shop, user.village_id)
        merged = _merge_lines(items)
        lines = _load_items(session, shop, merged)
        total = sum(item.price_points * quantity for item, quantity in lines)
        order = ShopOrder(
            village_id=user.village_id,
            shop_id=shop.id,
            villager_id=user.villager_id,
            user_id=user.id,
            items=[{"item_id": item_id, "quantity": quantity} for item_id, quantity in merged.items()],
            points=total,
            status="pending",
            expires_at=clock.now() + timedelta(minutes=current_settings().order_pending_minutes),
        )
        session.add(order)
        return order


def confirm_order(*, caller: Caller, order: ShopOrder) -> Redemption:
    """The shopkeeper accepts a pending order: the same sale path as a pay code; confirming twice is harmless."""
    if caller.role != "shopkeeper" or caller.shop_id != order.shop_id:
        raise WrongShop()
    with write_transaction() as session:
        moment = clock.now()
        changed = session.execute(
            update(ShopOrder)
            .where(ShopOrder.id == order.id, ShopOrder.status == "pending", ShopOrder.expires_at > moment)
            .values(status="confirmed", decided_at=moment, decided_by_id=caller.user_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        current = session.get(ShopOrder, order.id)
        session.refresh(current)
        if changed != 1:
            if current.status == "confirmed":
                return session.execute(select(Redemption).where(Redemption.order_id == order.id)).scalar_one()
            if current.status == "pending":
                raise OrderExpired()
            raise OrderClosed(status=ORDER_STATUS_TEXT.get(current.status, current.status))
        return sell_items(
            session,
            shop=session.get(Shop, current.shop_id),
            villager_id=current.villager_id,
            village_id=current.village_id,
            items=current.items,
            shopkeeper_id=caller.user_id,
            order_id=current.id,
            expected_points=current.points,
        )


def reject_order(*, caller: Caller, order: ShopOrder, reason: str | None) -> ShopOrder:
    if caller.role != "shopkeeper" or caller.shop_id != order.shop_id:
        raise WrongShop()
    with write_transaction() as session:
        current = session.get(ShopOrder, order.id)
        session.refresh(current)
        if current.status == "rejected":
            return current
        if current.status != "pending":
            raise OrderClosed(status=ORDER_STATUS_TEXT.get(current.status, current.status))
        current.status, current.decided_at, current.decided_by_id = "rejected", clock.now(), caller.user_id
        current.reject_reason = reason
        return current
