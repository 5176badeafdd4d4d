"""Partner shops: registration, reward items, the static shop QR code, orders, sales, settlements, funding."""

import io

from flask import send_file
from flask_smorest import Blueprint

from backend import clock
from backend.adapters.qr import qr_png
from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.idempotency import idempotent
from backend.api.shops.schemas import (
    FundingIn,
    FundingOut,
    ItemIn,
    ItemOut,
    ItemPatch,
    MonthArgs,
    OrderIn,
    OrderListArgs,
    OrderOut,
    ReceiptOut,
    SalesArgs,
    SettlementOut,
    ShopIn,
    ShopkeeperIn,
    ShopkeeperOut,
    ShopOut,
    ShopPatch,
)
from backend.models import Village
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.shops import catalogue as shops
from backend.services.shops import redemption, settlement

blp = Blueprint("shops", __name__, url_prefix="/api/v1", description="积分超市")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(args) -> str:
    return args["month"] or clock.today().strftime("%Y-%m")


@blp.get("/shops")
@blp.response(200, ShopOut(many=True))
@signed_in()
def list_shops(caller):
    """Shops the caller may use or see: their village's and their town's town-wide shops."""
    return shops.list_shops(caller=caller)


@blp.post("/shops")
@blp.arguments(ShopIn)
@blp.response(201, ShopOut)
@signed_in(*STAFF_ROLES)
def create_shop(args, caller):
    """Register a shop of a village (committee), or of the whole town (town admin, no `village_id`)."""
    return shops.create_shop(caller=caller, fields=args)


@blp.get("/shops/<int:shop_id>")
@blp.response(200, ShopOut)
@signed_in()
def get_shop(shop_id, caller):
    return shops.get_shop_or_404(shop_id, caller)


@blp.patch("/shops/<int:shop_id>")
@blp.arguments(ShopPatch)
@blp.response(200, ShopOut)
@signed_in(*STAFF_ROLES)
def update_shop(args, shop_id, caller):
    return shops.update_shop(caller=caller, shop=shops.get_shop_or_404(shop_id, caller), changes=args)


@blp.post("/shops/<int:shop_id>/shopkeepers")
@blp.arguments(ShopkeeperIn)
@blp.response(201, ShopkeeperOut)
@signed_in(*STAFF_ROLES)
def create_shopkeeper(args, shop_id, caller):
    """A sign-in (role shopkeeper) for this shop's keeper."""
    return shops.create_shopkeeper(caller=caller, shop=shops.get_shop_or_404(shop_id, caller), **args)


@blp.get("/shops/<int:shop_id>/items")
@blp.response(200, ItemOut(many=True))
@signed_in()
def list_items(shop_id, caller):
    """Rewards, cheapest first; villagers see only what is on offer now."""
    return shops.list_items(caller=caller, shop=shops.get_shop_or_404(shop_id, caller))


@blp.post("/shops/<int:shop_id>/items")
@blp.arguments(ItemIn)
@blp.response(201, ItemOut)
@signed_in("shopkeeper", *STAFF_ROLES)
def create_item(args, shop_id, caller):
    """Add a reward (`stock` null: unlimited; `monthly_limit` per person)."""
    return shops.create_item(caller=caller, shop=shops.get_shop_or_404(shop_id, caller), fields=args)


@blp.patch("/shops/<int:shop_id>/items/<int:item_id>")
@blp.arguments(ItemPatch)
@blp.response(200, ItemOut)
@signed_in("shopkeeper", *STAFF_ROLES)
def update_item(args, shop_id, item_id, caller):
    """Change price, stock (what is on the shelf now), limit, window or availability."""
    shop = shops.get_shop_or_404(shop_id, caller)
    return shops.update_item(caller=caller, shop=shop, item=shops.get_item_or_404(shop, item_id), changes=args)


@blp.get("/shops/<int:shop_id>/qr.png")
@blp.response(200, content_type="image/png")
@signed_in()
def shop_qr(shop_id, caller):
    """The shop's static QR code for the counter: villagers scan it to place an order."""
    shop = shops.get_shop_or_404(shop_id, caller)
    return send_file(io.BytesIO(qr_png(shops.shop_qr_content(shop))), mimetype="image/png")


@blp.post("/shops/<int:shop_id>/orders")
@idempotent
@blp.arguments(OrderIn)
@blp.response(201, OrderOut)
@signed_in("villager")
def place_order(args, shop_id, caller, claim):
    """After scanning the shop QR code: ask for items; nothing is spent until the shopkeeper confirms."""
    shop = shops.get_shop_or_404(shop_id, caller)
    return redemption.place_order(caller=caller, shop=shop, items=args["items"], claim=claim)


@blp.get("/shops/<int:shop_id>/orders")
@blp.arguments(OrderListArgs, location="query")
@blp.response(200, page_schema(OrderOut, "ShopOrderPage"))
@signed_in("shopkeeper", *STAFF_ROLES)
def list_orders(args, shop_id, caller):
    """The shop's orders (pending by default), newest first."""
    return settlement.list_orders(caller=caller, shop=shops.get_shop_or_404(shop_id, caller), **args)


@blp.get("/shops/<int:shop_id>/sales")
@blp.arguments(SalesArgs, location="query")
@blp.response(200, page_schema(ReceiptOut, "SalesPage"))
@signed_in("shopkeeper", *STAFF_ROLES)
def list_sales(args, shop_id, caller):
    """Sales of a village day (`date`, default today) or month (`month=YYYY-MM`), newest first."""
    shop = shops.get_shop_or_404(shop_id, caller)
    return settlement.list_sales(caller=caller, shop=shop, day=args.pop("date"), **args)


@blp.get("/shops/<int:shop_id>/settlement")
@blp.arguments(MonthArgs, location="query")
@blp.response(200, SettlementOut)
@signed_in("shopkeeper", *STAFF_ROLES)
def get_settlement(args, shop_id, caller):
    """A month's settlement (default this month): per village sales, voids, points and the amount owed."""
    shop = shops.get_shop_or_404(shop_id, caller)
    return settlement.shop_settlement(caller=caller, shop=shop, month=_month(args))


@blp.get("/shops/<int:shop_id>/settlement.xlsx")
@blp.arguments(MonthArgs, location="query")
@blp.response(200, content_type=XLSX)
@signed_in("shopkeeper", *STAFF_ROLES)
def export_settlement(args, shop_id, caller):
    shop = shops.get_shop_or_404(shop_id, caller)
    month = _month(args)
    content = settlement.settlement_xlsx(caller=caller, shop=shop, month=month)
    return send_file(
        io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=f"结算-{shop.id}-{month}.xlsx"
    )


@blp.post("/shops/<int:shop_id>/settlement/close")
@blp.arguments(MonthArgs, location="query")
@blp.response(200, SettlementOut)
@signed_in(*STAFF_ROLES)
def close_settlement(args, shop_id, caller):
    """Freeze a finished month's figures (once its void window has passed)."""
    shop = shops.get_shop_or_404(shop_id, caller)
    return settlement.close_settlement(caller=caller, shop=shop, month=_month(args))


@blp.get("/villages/<int:village_id>/shop-funding")
@blp.response(200, FundingOut)
@signed_in(*STAFF_ROLES)
def get_funding(village_id, caller):
    """What the village pays per point and its monthly redemption budget."""
    return shops.get_funding(village=get_scoped_or_404(Village, village_id, caller))


@blp.put("/villages/<int:village_id>/shop-funding")
@blp.arguments(FundingIn)
@blp.response(200, FundingOut)
@signed_in(*STAFF_ROLES)
def set_funding(args, village_id, caller):
    """Set yuan per point and the monthly budget in points (null: no cap)."""
    return shops.set_funding(caller=caller, village=get_scoped_or_404(Village, village_id, caller), **args)
