"""Input and output schemas for shops, reward items, pay codes, redemptions, orders and settlements."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backend.api.common import InSchema, OutSchema, PageArgs
from backend.models.shops import SHOP_STATUSES

MONTH = validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM。")


class ShopIn(InSchema):
    village_id = fields.Integer(load_default=None)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    address = fields.String(load_default=None, validate=validate.Length(max=200))
    opening_hours = fields.String(load_default=None, validate=validate.Length(max=100))
    contact = fields.String(load_default=None, validate=validate.Length(max=100))


class ShopPatch(InSchema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    opening_hours = fields.String(allow_none=True, validate=validate.Length(max=100))
    contact = fields.String(allow_none=True, validate=validate.Length(max=100))
    status = fields.String(validate=validate.OneOf(SHOP_STATUSES))


class ShopOut(OutSchema):
    id = fields.Integer()
    town_id = fields.Integer()
    village_id = fields.Integer(allow_none=True)
    name = fields.String()
    address = fields.String(allow_none=True)
    opening_hours = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)
    status = fields.String()


class ShopkeeperIn(InSchema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{2,63}$"))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ShopkeeperOut(OutSchema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    shop_id = fields.Integer()


class _ItemFields(InSchema):
    picture = fields.String(allow_none=True, validate=validate.Length(max=500))
    stock = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    monthly_limit = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    active_from = fields.DateTime(allow_none=True)
    active_until = fields.DateTime(allow_none=True)


class ItemIn(_ItemFields):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    price_points = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    is_active = fields.Boolean(load_default=True)


class ItemPatch(_ItemFields):
    name = fields.String(validate=validate.Length(min=1, max=100))
    price_points = fields.Integer(validate=validate.Range(min=1, max=1_000_000))
    is_active = fields.Boolean()


class ItemOut(OutSchema):
    id = fields.Integer()
    shop_id = fields.Integer()
    name = fields.String()
    picture = fields.String(allow_none=True)
    price_points = fields.Integer()
    stock = fields.Integer(allow_none=True)
    unlimited = fields.Function(lambda item: item.stock is None)
    monthly_limit = fields.Integer(allow_none=True)
    active_from = fields.DateTime(allow_none=True)
    active_until = fields.DateTime(allow_none=True)
    is_active = fields.Boolean()


class LineIn(InSchema):
    item_id = fields.Integer(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=999))


class _Lines(InSchema):
    items = fields.List(fields.Nested(LineIn), required=True, validate=validate.Length(min=1, max=50))


class RedeemIn(_Lines):
    pay_code = fields.String(
        required=True, validate=validate.Regexp(r"^\s*[0-9]{18,20}\s*$", error="付款码为 18-20 位数字。")
    )
    shop_id = fields.Integer(required=True)


class OrderIn(_Lines):
    pass


class RejectIn(InSchema):
    reason = fields.String(load_default=None, validate=validate.Length(max=200))


class PayCodeOut(OutSchema):
    token = fields.String()
    expires_at = fields.DateTime()
    png_url = fields.String()


class TokenArgs(InSchema):
    token = fields.String(required=True, validate=validate.Length(max=32))


class LineOut(OutSchema):
    item_id = fields.Integer()
    name = fields.String(attribute="item_name")
    unit_points = fields.Integer()
    quantity = fields.Integer()
    points = fields.Integer()


class ReceiptOut(OutSchema):
    id = fields.Integer()
    receipt_no = fields.String()
    shop_id = fields.Integer()
    shop_name = fields.Function(lambda sale: sale.shop.name)
    villager_id = fields.Integer()
    items = fields.List(fields.Nested(LineOut), attribute="lines")
    points = fields.Integer()
    balance_after = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    order_id = fields.Integer(allow_none=True)


class OrderLineOut(OutSchema):
    item_id = fields.Integer()
    quantity = fields.Integer()


class OrderOut(OutSchema):
    id = fields.Integer()
    shop_id = fields.Integer()
    villager_id = fields.Integer()
    items = fields.List(fields.Nested(OrderLineOut))
    points = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    reject_reason = fields.String(allow_none=True)


class OrderListArgs(PageArgs):
    status = fields.String(load_default="pending", validate=validate.OneOf(["pending", "confirmed", "rejected"]))


class SalesArgs(PageArgs):
    date = fields.Date(load_default=None)
    month = fields.String(load_default=None, validate=MONTH)

    @validates_schema
    def _one_period(self, data, **_kwargs):
        if data.get("date") and data.get("month"):
            raise ValidationError("请只给出 date 或 month 之一。", "_schema")


class MonthArgs(InSchema):
    month = fields.String(load_default=None, validate=MONTH)


class FundingIn(InSchema):
    yuan_per_point = fields.Decimal(required=True, places=None, validate=validate.Range(min=0, min_inclusive=False))
    monthly_budget_points = fields.Integer(required=True, allow_none=True, validate=validate.Range(min=0))


class FundingOut(OutSchema):
    village_id = fields.Integer()
    yuan_per_point = fields.String()
    monthly_budget_points = fields.Integer(allow_none=True)


class SettlementLineOut(OutSchema):
    village_id = fields.Integer()
    village_name = fields.String()
    redemptions = fields.Integer()
    voids = fields.Integer()
    points = fields.Integer()
    yuan_per_point = fields.String()
    amount_fen = fields.Integer()
    amount_yuan = fields.String()
    closed_at = fields.DateTime(allow_none=True)


class SettlementOut(OutSchema):
    shop_id = fields.Integer()
    shop_name = fields.String()
    month = fields.String()
    villages = fields.List(fields.Nested(SettlementLineOut))
    redemptions = fields.Integer()
    voids = fields.Integer()
    points = fields.Integer()
    amount_fen = fields.Integer()
    amount_yuan = fields.String()
    closed = fields.Boolean()
