"""Partner shops, their reward items and shopkeepers, and each village's shop funding (rate and budget)."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, and_, or_, select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput, NotFound
from backend.extensions import db
from backend.models import RewardItem, Shop, ShopFunding, User, Village
from backend.services.access import STAFF_ROLES, Caller, require_role
from backend.services.audit import record_audit, snapshot
from backend.services.auth import check_password_policy, hash_password

RATE_SCALE = 10000  # yuan_per_point is stored in 1/10000 yuan
DEFAULT_RATE_E4 = 1000  # 1 point = 0.10 yuan until the village sets its own


def shop_qr_content(shop: Shop) -> str:
    """What the static shop QR code says: the mini-program opens the shop's order page from it."""
    return f"VCSHOP:{shop.id}"


def shop_scope(stmt: Select, caller: Caller) -> Select:
    """Restrict a select over shops to those the caller may see.

    Villagers and committees see their village's shops and their town's town-wide shops; a shopkeeper sees
    their own shop; a town admin every shop of the town.
    """
    if caller.role == "admin":
        return stmt
    if caller.role == "shopkeeper":
        return stmt.where(Shop.id == caller.shop_id)
    if caller.role == "town_admin":
        return stmt.where(Shop.town_id == caller.town_id)
    if caller.village_id is None:
        return stmt.where(Shop.id.is_(None))
    return stmt.where(
        or_(Shop.village_id == caller.village_id, and_(Shop.village_id.is_(None), Shop.town_id == caller.town_id))
    )


def get_shop_or_404(shop_id: int, caller: Caller) -> Shop:
    shop = db.session.execute(shop_scope(select(Shop).where(Shop.id == shop_id), caller)).scalar_one_or_none()
    if shop is None:
        raise NotFound()
    return shop


def get_item_or_404(shop: Shop, item_id: int) -> RewardItem:
    item = db.session.get(RewardItem, item_id)
    if item is None or item.shop_id != shop.id:
        raise NotFound()
    return item


def can_manage_shop(caller: Caller, shop: Shop) -> bool:
    """Committees of the shop's village, town admins of its town, admins: register and edit the shop."""
    if caller.role == "admin":
        return True
    if caller.role == "town_admin":
        return caller.town_id == shop.town_id
    return caller.role == "committee" and shop.village_id is not None and caller.village_id == shop.village_id


def can_manage_items(caller: Caller, shop: Shop) -> bool:
    """The shop's own shopkeepers, and whoever manages the shop."""
    return (caller.role == "shopkeeper" and caller.shop_id == shop.id) or can_manage_shop(caller, shop)


def list_shops(*, caller: Caller) -> list[Shop]:
    stmt = shop_scope(select(Shop), caller)
    if caller.role == "villager":
        stmt = stmt.where(Shop.status == "active")
    return list(db.session.execute(stmt.order_by(Shop.id)).scalars())


def _town_and_village(session, caller: Caller, village_id: int | None) -> tuple[int, int | None]:
    if village_id is None and caller.role == "committee":
        village_id = caller.village_id
    if village_id is None:
        if caller.role == "admin":
            raise InvalidInput(errors={"village_id": ["平台管理员请指定村。"]})
        return caller.town_id, None
    village = session.get(Village, village_id)
    allowed = village is not None and (
        caller.role == "admin"
        or (caller.role == "town_admin" and village.town_id == caller.town_id)
        or (caller.role == "committee" and village.id == caller.village_id)
    )
    if not allowed:
        raise NotFound("村不存在。")
    return village.town_id, village.id


def create_shop(*, caller: Caller, fields: dict) -> Shop:
    """Register a partner shop of a village (a committee's own by default), or of the whole town (town admin)."""
    require_role(caller, *STAFF_ROLES)
    with write_transaction() as session:
        town_id, village_id = _town_and_village(session, caller, fields.pop("village_id", None))
        shop = Shop(town_id=town_id, village_id=village_id, **fields)
        session.add(shop)
        record_audit(session, actor=caller, action="shop.create", entity=shop, after=snapshot(shop))
        return shop


def update_shop(*, caller: Caller, shop: Shop, changes: dict) -> Shop:
    if not can_manage_shop(caller, shop):
        raise NotFound()
    with write_transaction() as session:
        shop = session.merge(shop)
        before = snapshot(shop)
        for key, value in changes.items():
            setattr(shop, key, value)
        record_audit(session, actor=caller, action="shop.update", entity=shop, before=before, after=snapshot(shop))
        return shop


def create_shopkeeper(*, caller: Caller, shop: Shop, username: str, password: str, display_name: str) -> User:
    """A sign-in for the shop's keeper (role shopkeeper, tied to this shop)."""
    if not can_manage_shop(caller, shop):
        raise NotFound()
    with write_transaction() as session:
        if session.execute(select(User.id).where(User.username == username)).first() is not None:
            raise Conflict(
                "用户名 %(username)s 已被使用。", errors={"username": ["该用户名已被使用。"]}, username=username
            )
        check_password_policy(password, field="password", user_inputs=(username, display_name))
        user = User(
            role="shopkeeper",
            username=username,
            password_hash=hash_password(password),
            must_change_password=True,  # set by someone else: the keeper picks their own at first sign-in
            display_name=display_name,
            town_id=shop.town_id,
            village_id=shop.village_id,
            shop_id=shop.id,
        )
        session.add(user)
        record_audit(
            session,
            actor=caller,
            action="shopkeeper.create",
            entity=user,
            after=snapshot(user),
            village_id=shop.village_id,
        )
        return user


def _check_window(active_from: datetime | None, active_until: datetime | None) -> None:
    if active_from and active_until and active_until <= active_from:
        raise InvalidInput(errors={"active_until": ["结束时间须晚于开始时间。"]})


def list_items(*, caller: Caller, shop: Shop) -> list[RewardItem]:
    """Villagers see what they can redeem now; staff and the shopkeeper see every item."""
    stmt = select(RewardItem).where(RewardItem.shop_id == shop.id).order_by(RewardItem.price_points, RewardItem.id)
    if caller.role == "villager":
        moment = clock.now()
        stmt = stmt.where(
            RewardItem.is_active.is_(True),
            or_(RewardItem.active_from.is_(None), RewardItem.active_from <= moment),
            or_(RewardItem.active_until.is_(None), RewardItem.active_until > moment),
        )
    return list(db.session.execute(stmt).scalars())


def create_item(*, caller: Caller, shop: Shop, fields: dict) -> RewardItem:
    if not can_manage_items(caller, shop):
        raise NotFound()
    _check_window(fields.get("active_from"), fields.get("active_until"))
    with write_transaction() as session:
        item = RewardItem(shop_id=shop.id, village_id=shop.village_id, **fields)
        session.add(item)
        record_audit(session, actor=caller, action="reward_item.create", entity=item, after=snapshot(item))
        return item


def update_item(*, caller: Caller, shop: Shop, item: RewardItem, changes: dict) -> RewardItem:
    """Edit an item; `stock` sets the count on the shelf (None: unlimited)."""
    if not can_manage_items(caller, shop):
        raise NotFound()
    with write_transaction() as session:
        item = session.merge(item)
        before = snapshot(item)
        for key, value in changes.items():
            setattr(item, key, value)
        _check_window(item.active_from, item.active_until)
        record_audit(
            session,
            actor=caller,
            action="reward_item.update",
            entity=item,
            before=before,
            after=snapshot(item),
        )
        return item


def rate_text(rate_e4: int) -> str:
    return str((Decimal(rate_e4) / RATE_SCALE).quantize(Decimal("0.0001")).normalize())


def amount_fen(points: int, rate_e4: int) -> int:
    """Points times yuan-per-point, in fen, rounded half up."""
    return int((Decimal(points) * rate_e4 / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def funding_view(village_id: int, funding: ShopFunding | None) -> dict:
    rate = funding.yuan_per_point_e4 if funding else DEFAULT_RATE_E4
    return {
        "village_id": village_id,
        "yuan_per_point": rate_text(rate),
        "monthly_budget_points": funding.monthly_budget_points if funding else None,
    }


def get_funding(*, village: Village) -> dict:
    return funding_view(village.id, db.session.get(ShopFunding, village.id))


def set_funding(
    *, caller: Caller, village: Village, yuan_per_point: Decimal, monthly_budget_points: int | None
) -> dict:
    """Set what the village pays per point and how many points its shops may redeem per month."""
    require_role(caller, *STAFF_ROLES)
    rate_e4 = int((yuan_per_point * RATE_SCALE).to_integral_value())
    if rate_e4 <= 0 or Decimal(rate_e4) != yuan_per_point * RATE_SCALE:
        raise InvalidInput(errors={"yuan_per_point": ["须为正数，最多 4 位小数。"]})
    with write_transaction() as session:
        funding = session.get(ShopFunding, village.id)
        before = funding_view(village.id, funding)
        if funding is None:
            funding = ShopFunding(village_id=village.id)
            session.add(funding)
        funding.yuan_per_point_e4, funding.monthly_budget_points = rate_e4, monthly_budget_points
        after = funding_view(village.id, funding)
        record_audit(
            session,
            actor=caller,
            action="shop_funding.update",
            entity=village,
            before=before,
            after=after,
            village_id=village.id,
        )
        return after
