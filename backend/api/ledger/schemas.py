"""Input and output schemas of the points ledger: history, adjustments, expiring points."""

from marshmallow import fields, validate

from backend.api.common import InSchema, OutSchema


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
