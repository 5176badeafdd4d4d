"""Demo partner shops: one per village with a dozen rewards, keepers qt01-shop1 / qt02-shop1, funding, a few
months of sales (some voided) and the closed settlements of past months.

Villagers whose earlier demo parts left them short get demo earnings (rule code DEMO) first, and sales stop
while a balance would fall below 50, so that every balance ends between 50 and 500. Sales are booked through
the redemption service now and then dated back into their month (the ledger entries keep the load time).
"""

import random
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from backend import clock
from backend.database import write_transaction
from backend.errors import AppError
from backend.extensions import db
from backend.models import BudgetUsage, Redemption, RewardItem, Shop, ShopFunding, User, Village, Villager
from backend.services.access import Caller
from backend.services.auth.sessions import hash_password
from backend.services.ledger.balances import villager_balance
from backend.services.ledger.postings import earn_points
from backend.services.shops.redemption import month_of, sell_items, void_redemption
from backend.services.shops.settlement import close_settlement

SHOPS = {
    "QT01": ("qt01-shop1", "东村积分超市", "东村文化礼堂旁"),
    "QT02": ("qt02-shop1", "西村积分超市", "西村村委会一楼"),
}
ITEMS = [
    ("食盐 400g", 10, None),
    ("肥皂", 10, None),
    ("牙膏", 15, None),
    ("酱油 500ml", 20, None),
    ("洗衣粉 1kg", 30, None),
    ("毛巾", 30, 4),
    ("抽纸 10 包", 40, None),
    ("食用油 1L", 60, 2),
    ("大米 5kg", 80, 2),
    ("电饭煲内胆清洁套装", 100, None),
    ("保温杯", 150, 1),
    ("电热水壶", 200, 1),
]
MONTHS = 3
LOW, HIGH = 50, 500


def _shop(village: Village, username: str, name: str, address: str) -> tuple[Shop, User, list[RewardItem]]:
    from backend.demo import DEMO_PASSWORD

    shop = Shop(town_id=village.town_id, village_id=village.id, name=name, address=address, status="active")
    shop.opening_hours, shop.contact = "周一至周日 8:00-20:00", "店主 " + name[:2]
    db.session.add(shop)
    db.session.flush()
    keeper = User(
        username=username,
        role="shopkeeper",
        display_name=f"{name}店主",
        password_hash=hash_password(DEMO_PASSWORD),
        town_id=village.town_id,
        village_id=village.id,
        shop_id=shop.id,
    )
    items = [
        RewardItem(shop_id=shop.id, village_id=village.id, name=n, price_points=p, stock=1000, monthly_limit=lim)
        for n, p, lim in ITEMS
    ]
    db.session.add_all([keeper, *items])
    db.session.add(ShopFunding(village_id=village.id, yuan_per_point_e4=1000, monthly_budget_points=50_000))
    db.session.commit()
    return shop, keeper, items


def _top_up(villager: Villager, rng: random.Random) -> None:
    with write_transaction() as session:
        balance = villager_balance(session, villager.id)
        if balance >= 120:
            return
        earn_points(
            session,
            villager_id=villager.id,
            village_id=villager.village_id,
            amount=rng.randrange(150, 400) - balance,
            expires_on=clock.today() + timedelta(days=365),
            rule_code="DEMO",
            rule_version=1,
            reason="演示数据：历史积分",
            source_type="demo",
            source_id=villager.id,
            idempotency_key=f"demo-shop-earn:{villager.id}:{uuid.uuid4()}",
        )


def _backdate(sale_id: int, moment: datetime) -> None:
    sale = db.session.get(Redemption, sale_id)
    sale.created_at, sale.month = moment, month_of(moment)
    if sale.voided_at is not None:
        sale.voided_at = moment + timedelta(minutes=5)
    db.session.commit()


def _sell(shop: Shop, keeper: User, villager: Villager, items: list[RewardItem], moment, rng) -> int | None:
    """One sale that keeps the balance within bounds; returns its id, or None if nothing fits."""
    balance = villager_balance(db.session, villager.id)
    room = balance - LOW
    if balance > HIGH:
        room = max(room, balance - HIGH)
    affordable = [item for item in items if item.price_points <= room and not item.monthly_limit]
    if not affordable:
        return None
    item = rng.choice(affordable)
    quantity = min(rng.randrange(1, 3), room // item.price_points)
    try:
        with write_transaction() as session:
            sale = sell_items(
                session,
                shop=session.get(Shop, shop.id),
                villager_id=villager.id,
                village_id=villager.village_id,
                items=[{"item_id": item.id, "quantity": quantity}],
                shopkeeper_id=keeper.id,
            )
    except AppError:
        return None  # e.g. a villager whom a gate (frozen, dishonesty list) keeps from redeeming
    if rng.random() < 0.07:
        void_redemption(caller=Caller.of(keeper), redemption=sale)
    _backdate(sale.id, moment)
    return sale.id


def _recount_budget(village: Village) -> None:
    """Budget counters per month, from the (dated back) sales."""
    db.session.query(BudgetUsage).filter(BudgetUsage.village_id == village.id).delete()
    rows = db.session.execute(
        select(Redemption.month, func.sum(Redemption.points))
        .where(Redemption.village_id == village.id, Redemption.status == "completed")
        .group_by(Redemption.month)
    ).all()
    db.session.add_all([BudgetUsage(village_id=village.id, month=m, points=int(p)) for m, p in rows])
    db.session.commit()


def _past_months(today: date) -> list[str]:
    first = today.replace(day=1)
    months = []
    for _ in range(MONTHS + 1):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first.strftime("%Y-%m"))
    return months


def load(*, echo=print) -> None:
    rng = random.Random(20261126)
    now = clock.now()
    for code, (username, name, address) in SHOPS.items():
        village = db.session.execute(select(Village).where(Village.code == code)).scalar_one()
        shop, keeper, items = _shop(village, username, name, address)
        villagers = db.session.execute(select(Villager).where(Villager.village_id == village.id)).scalars().all()
        sales = 0
        for villager in villagers:
            _top_up(villager, rng)
            for _ in range(rng.randrange(1, 5)):
                moment = now - timedelta(days=rng.randrange(1, 30 * MONTHS), minutes=rng.randrange(0, 600))
                sales += _sell(shop, keeper, villager, items, moment, rng) is not None
            while villager_balance(db.session, villager.id) > HIGH:
                if _sell(shop, keeper, villager, items, now - timedelta(days=1), rng) is None:
                    break
        _recount_budget(village)
        committee = (
            db.session.execute(
                select(User).where(User.role == "committee", User.village_id == village.id).order_by(User.id)
            )
            .scalars()
            .first()
        )
        for month in _past_months(clock.today()):
            close_settlement(caller=Caller.of(committee), shop=shop, month=month)
        echo(f"  {name} ({username}): {len(items)} rewards, {sales} sales over {MONTHS} months, settlements closed")
