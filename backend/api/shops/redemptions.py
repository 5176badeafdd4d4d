"""Pay codes, redemptions, voids, order decisions and the villager's own redemption history."""

import io

from flask import send_file, url_for
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.adapters.qr import qr_png
from backend.api.auth_hooks import signed_in
from backend.api.common import PageArgs, page_schema
from backend.api.idempotency import idempotent
from backend.api.ratelimit import limiter
from backend.api.shops.schemas import OrderOut, PayCodeOut, ReceiptOut, RedeemIn, RejectIn, TokenArgs
from backend.services.shops import pay_codes as paycodes
from backend.services.shops import redemption, settlement
from backend.settings import current_settings

blp = Blueprint("redemptions", __name__, url_prefix="/api/v1", description="付款码与兑换")


def _pay_code_key() -> str:
    return f"pay-code:{current_user.id}"


@blp.post("/me/pay-code")
@blp.response(201, PayCodeOut)
@signed_in("villager")
@limiter.limit(lambda: current_settings().pay_code_rate_limit, key_func=_pay_code_key)
def issue_pay_code(caller):
    """A one-time pay code (19 digits, valid 60 s) for the shopkeeper to scan; refused if redemption is blocked."""
    token, expires_at = paycodes.issue_pay_code(caller=caller)
    return {"token": token, "expires_at": expires_at, "png_url": url_for("redemptions.pay_code_png", token=token)}


@blp.get("/me/pay-code.png")
@blp.arguments(TokenArgs, location="query")
@blp.response(200, content_type="image/png")
@signed_in("villager")
def pay_code_png(args, caller):
    """The caller's live pay code drawn as a QR code (404 for anyone else's, a used or an expired one)."""
    paycodes.check_own_pay_code(caller=caller, token=args["token"])
    return send_file(io.BytesIO(qr_png(args["token"].strip())), mimetype="image/png")


@blp.post("/redemptions")
@idempotent
@blp.arguments(RedeemIn)
@blp.response(201, ReceiptOut)
@signed_in("shopkeeper")
def redeem(args, caller, claim):
    """Scan-to-pay by the shop's shopkeeper: code consumed, points spent oldest first, stock taken, receipt.

    Requires an `Idempotency-Key` header (Stripe semantics, keys scoped to the caller and kept at least 24 hours):
    a retry with the same key and body replays the first answer; another body with that key gets 409
    `idempotency_key_reused`; a retry while the first is still running gets 409; without the header 400.
    Refusals: 404 unknown code, 410 expired code, 409 used code / insufficient points / out of stock / monthly
    limit / village budget, 403 shopkeeper of another shop or blocked villager, 422 bad input.
    """
    return redemption.redeem_points(caller=caller, claim=claim, **args)


@blp.post("/redemptions/<int:redemption_id>/void")
@blp.response(200, ReceiptOut)
@signed_in("shopkeeper")
def void(redemption_id, caller):
    """Undo a sale within REDEMPTION_VOID_HOURS (default 24): points back, stock back; voiding twice is harmless."""
    return redemption.void_redemption(caller=caller, redemption=settlement.get_sale_or_404(redemption_id))


@blp.get("/me/redemptions")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(ReceiptOut, "MyRedemptionPage"))
@signed_in("villager")
def my_redemptions(args, caller):
    """The signed-in villager's redemptions, newest first."""
    return settlement.list_my_redemptions(caller=caller, **args)


@blp.post("/orders/<int:order_id>/confirm")
@blp.response(200, ReceiptOut)
@signed_in("shopkeeper")
def confirm_order(order_id, caller):
    """Accept a villager's order: the same sale path and guarantees as a pay code; confirming twice is harmless."""
    return redemption.confirm_order(caller=caller, order=settlement.get_order_or_404(order_id))


@blp.post("/orders/<int:order_id>/reject")
@blp.arguments(RejectIn)
@blp.response(200, OrderOut)
@signed_in("shopkeeper")
def reject_order(args, order_id, caller):
    return redemption.reject_order(caller=caller, order=settlement.get_order_or_404(order_id), reason=args["reason"])


@blp.get("/orders/<int:order_id>")
@blp.response(200, OrderOut)
@signed_in("villager", "shopkeeper")
def get_order(order_id, caller):
    """An order as its villager or its shop sees it."""
    return settlement.get_order(caller=caller, order_id=order_id)
