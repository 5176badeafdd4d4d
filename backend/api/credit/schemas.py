"""Input and output schemas of the credit endpoints."""

from marshmallow import fields, validate

from backend.api.common import InSchema, OutSchema, PageArgs

TEXT = validate.Length(min=1, max=500)
FILE_IDS = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=9))


class VillageArgs(PageArgs):
    village_id = fields.Integer(required=True)


class EntryListArgs(VillageArgs):
    villager_id = fields.Integer(load_default=None)
    origin = fields.String(load_default=None, validate=validate.OneOf(["violation", "honour", "repair"]))


class StatusArgs(VillageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(["applied", "approved", "rejected", "refused"]))


class ListStatusArgs(VillageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(["upcoming", "active", "ended"]))


class ViolationIn(InSchema):
    villager_id = fields.Integer(required=True)
    rule_code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    occurred_on = fields.Date(required=True)
    quantity = fields.Float(load_default=1, validate=validate.Range(min=1, max=100))
    note = fields.String(load_default=None, validate=validate.Length(max=200))
    evidence_text = fields.String(load_default=None, validate=validate.Length(max=2000))
    file_ids = FILE_IDS


class ObjectionIn(InSchema):
    reason = fields.String(required=True, validate=TEXT)


class ObjectionDecisionIn(InSchema):
    upheld = fields.Boolean(required=True)
    note = fields.String(required=True, validate=TEXT)


class HonourIn(InSchema):
    villager_id = fields.Integer(load_default=None)  # staff name the villager; a villager applies for themselves
    rule_code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    occurred_on = fields.Date(required=True)
    description = fields.String(required=True, validate=TEXT)
    # Facts the rule's condition tests, such as {"honour.level": "county"} or {"event.hours": 4}.
    facts = fields.Dict(keys=fields.String(), load_default=dict)
    evidence_text = fields.String(load_default=None, validate=validate.Length(max=2000))
    file_ids = FILE_IDS


class NoteIn(InSchema):
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class DecisionReasonIn(InSchema):
    reason = fields.String(required=True, validate=TEXT)


class DishonestyIn(InSchema):
    villager_id = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    rule_code = fields.String(load_default=None, validate=validate.Length(min=1, max=16))
    evidence_text = fields.String(load_default=None, validate=validate.Length(max=2000))
    file_ids = FILE_IDS


class CourtListImportArgs(InSchema):
    ends_on = fields.Date(required=True)  # for rows that give no end date
    source = fields.String(load_default=None, validate=validate.Length(max=64))


class CourtListFile(InSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class RepairIn(InSchema):
    entry_id = fields.Integer(required=True)
    statement = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    evidence_text = fields.String(load_default=None, validate=validate.Length(max=2000))
    file_ids = FILE_IDS


class EntryOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    villager_id = fields.Integer()
    kind = fields.String()
    origin = fields.String()
    rule_code = fields.String(allow_none=True)
    rule_version = fields.Integer(allow_none=True)
    occurred_on = fields.Date()
    counts_from = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    quantity = fields.Float()
    status = fields.String()
    target_id = fields.Integer(allow_none=True)
    list_kind = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    evidence_text = fields.String(allow_none=True)
    evidence_file_ids = fields.List(fields.Integer())
    created_at = fields.DateTime()


class ObjectionOut(OutSchema):
    id = fields.Integer()
    entry_id = fields.Integer()
    villager_id = fields.Integer()
    reason = fields.String()
    status = fields.String()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class ApplicationOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    villager_id = fields.Integer()
    status = fields.String()
    evidence_text = fields.String(allow_none=True)
    evidence_file_ids = fields.List(fields.Integer())
    applied_by_id = fields.Integer()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class HonourOut(ApplicationOut):
    rule_code = fields.String()
    occurred_on = fields.Date()
    description = fields.String()
    facts = fields.Dict()
    entry_id = fields.Integer(allow_none=True)


class RepairOut(ApplicationOut):
    entry_id = fields.Integer()
    statement = fields.String()
    repair_entry_id = fields.Integer(allow_none=True)


class DishonestyOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    villager_id = fields.Integer()
    villager_name = fields.String()
    list_kind = fields.String()
    source = fields.String()
    reason = fields.String(allow_none=True)
    rule_code = fields.String(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    evidence_text = fields.String(allow_none=True)
    evidence_file_ids = fields.List(fields.Integer())
    status = fields.String()  # upcoming | active | ended | revoked


class UnmatchedRowOut(OutSchema):
    row = fields.Integer()
    id_number = fields.String()  # masked
    reason = fields.String()


class CourtImportOut(OutSchema):
    total_rows = fields.Integer()
    added = fields.Integer()
    already_listed = fields.Integer()
    unmatched = fields.List(fields.Nested(UnmatchedRowOut))


class CreditLineOut(OutSchema):
    event_id = fields.Raw()
    kind = fields.String()
    rule_code = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    dimension = fields.String(allow_none=True)
    occurred_on = fields.String()
    counts_from = fields.String()
    stops_on = fields.String(allow_none=True)
    nominal_amount = fields.Integer()
    amount = fields.Integer()
    status = fields.String()  # counted capped expired pending frozen repaired revoked ignored
    sentence = fields.String()
    note = fields.String(allow_none=True)


class DimensionOut(OutSchema):
    code = fields.String()
    label = fields.String()
    score = fields.Integer()
    lines = fields.Integer()


class CapOut(OutSchema):
    rule_code = fields.String()
    period = fields.String()
    period_key = fields.String()
    cap = fields.Integer()
    cut = fields.Integer()
    event_ids = fields.List(fields.Raw())


class RepairAppliedOut(OutSchema):
    repair_id = fields.Raw()
    target_id = fields.Raw()
    rule_code = fields.String(allow_none=True)
    restored = fields.Integer()


class GateOut(OutSchema):
    code = fields.String()
    label = fields.String()
    effect = fields.String()
    level = fields.String(allow_none=True)
    source = fields.Raw()
    binding = fields.Boolean()


class ReasonOut(OutSchema):
    code = fields.String()
    kind = fields.String()
    impact = fields.Integer()
    sentence = fields.String()
    advice = fields.String()


class HistoryOut(OutSchema):
    month = fields.String()
    score = fields.Integer()
    level = fields.String()
    rule_version = fields.Integer()


class CreditOut(OutSchema):
    villager_id = fields.Integer()
    as_of = fields.String()
    version = fields.Integer()
    base = fields.Integer()
    raw_score = fields.Integer()
    score = fields.Integer()
    clamped = fields.String(allow_none=True)
    level = fields.String()
    level_label = fields.String()
    level_before_gates = fields.String()
    next_level = fields.String(allow_none=True)
    points_to_next_level = fields.Integer(allow_none=True)
    blocks_redemption = fields.Boolean()
    dimensions = fields.List(fields.Nested(DimensionOut))
    lines = fields.List(fields.Nested(CreditLineOut))
    pending = fields.List(fields.Nested(CreditLineOut))
    expired = fields.List(fields.Nested(CreditLineOut))
    caps_applied = fields.List(fields.Nested(CapOut))
    repairs = fields.List(fields.Nested(RepairAppliedOut))
    gates = fields.List(fields.Nested(GateOut))
    reasons = fields.List(fields.Nested(ReasonOut))
    history = fields.List(fields.Nested(HistoryOut))


class PersonChangeOut(OutSchema):
    villager_id = fields.Integer()
    name = fields.String()
    old_score = fields.Integer()
    old_level = fields.String(allow_none=True)
    new_score = fields.Integer()
    new_level = fields.String(allow_none=True)
    delta = fields.Integer()


class SimulationOut(OutSchema):
    as_of = fields.String()
    draft_version = fields.Integer()
    published_version = fields.Integer()
    people = fields.List(fields.Nested(PersonChangeOut))
    level_matrix = fields.Dict(keys=fields.String(), values=fields.Dict())
    rule_fires = fields.Dict(keys=fields.String(), values=fields.Dict())
    silent_rules = fields.List(fields.String())
    golden = fields.List(fields.Dict())
    summary = fields.Dict()
