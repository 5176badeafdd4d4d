"""Points: a villager's own history, committee adjustments, and who is about to lose points."""

from flask_smorest import Blueprint
from marshmallow import fields, validate

from backend.api.auth_hooks import signed_in
from backend.api.common import InSchema, OutSchema, PageArgs, page_schema
from backend.api.idempotency import idempotent
from backend.models import Village, Villager
from backend.services import ledger
from backend.services.access import STAFF_ROLES, get_scoped_or_404

blp = Blueprint("ledger", __name__, url_prefix="/api/v1", description="积分账本")


class LedgerEntryOut(OutSchema):
    id = fields.Integer()
    time = fields.DateTime(attribute="created_at")
    amount = fields.Integer(metadata={"description": "Signed: + earned, - spent or expired"})
    balance_after = fields.Integer(metadata={"description": "Running balance after this entry"})
    reason = fields.String(metadata={"description": "Chinese reason"})
    kind = fields.String(
        attribute="transfer.kind", metadata={"enum": ["earn", "spend", "adjust", "expire", "reversal"]}
    )
    rule_code = fields.String(allow_none=True)
    rule_version = fields.Integer(allow_none=True)
    source_type = fields.String(metadata={"description": "The activity or cause, e.g. submission, redemption"})
    source_id = fields.Integer(allow_none=True)
    expires_on = fields.Date(allow_none=True, metadata={"description": "Last day earned points can be spent"})


class AdjustmentIn(InSchema):
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=-100000, max=100000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    expires_on = fields.Date(load_default=None, metadata={"description": "Last day added points can be spent"})


class AdjustmentOut(OutSchema):
    transfer_id = fields.Integer(attribute="id")
    kind = fields.String()
    villager_id = fields.Method("_villager_id")
    amount = fields.Method("_signed_amount", metadata={"description": "+ added, - deducted"})
    balance_after = fields.Method("_balance_after")
    reason = fields.String()
    expires_on = fields.Date(allow_none=True)
    created_at = fields.DateTime()

    @staticmethod
    def _leg(transfer):
        return next(entry for entry in transfer.entries if entry.account.kind == "villager")

    def _villager_id(self, transfer):
        return self._leg(transfer).account.villager_id

    def _signed_amount(self, transfer):
        return self._leg(transfer).amount

    def _balance_after(self, transfer):
        return self._leg(transfer).balance_after


class ExpiringArgs(InSchema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


class ExpiringOut(OutSchema):
    villager_id = fields.Integer()
    name = fields.String()
    amount = fields.Integer(metadata={"description": "Points that expire within the window unless spent"})
    first_expires_on = fields.Date()


@blp.get("/me/ledger")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(LedgerEntryOut, "LedgerPage"))
@signed_in("villager")
def my_ledger(args, caller):
    """My points history, newest first, with the running balance after each entry."""
    return ledger.list_my_ledger(caller=caller, **args)


@blp.post("/villagers/<int:villager_id>/point-adjustments")
@idempotent
@blp.arguments(AdjustmentIn)
@blp.response(201, AdjustmentOut)
@signed_in(*STAFF_ROLES)
def adjust(args, villager_id, caller, claim):
    """Add or deduct points by hand, with a reason (audited). The same Idempotency-Key replays the first."""
    villager = get_scoped_or_404(Villager, villager_id, caller)
    return ledger.adjust_points(caller=caller, villager=villager, claim=claim, **args)


@blp.get("/villages/<int:village_id>/expiring-points")
@blp.arguments(ExpiringArgs, location="query")
@blp.response(200, ExpiringOut(many=True))
@signed_in(*STAFF_ROLES)
def expiring_points(args, village_id, caller):
    """Who loses how many points in the next `days` days (30 by default), soonest first."""
    village = get_scoped_or_404(Village, village_id, caller)
    return ledger.list_expiring_points(caller=caller, village=village, days=args["days"])
