"""Input and output schemas of the city level: rule templates, their versions, adoption by villages."""

from marshmallow import fields, validate

from backend.api.common import InSchema, OutSchema
from backend.api.rulesets.schemas import KIND, RuleSetOut

CODE = validate.Regexp(r"^[A-Z0-9-]{2,32}$", error="编码须为 2-32 位大写字母、数字或连字符。")


class TemplateListArgs(InSchema):
    kind = fields.String(load_default=None, validate=KIND)


class TemplateIn(InSchema):
    kind = fields.String(required=True, validate=KIND)
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    city_id = fields.Integer(load_default=None, strict=True)
    town_id = fields.Integer(load_default=None, strict=True)


class Range(InSchema):
    min = fields.Integer(required=True, strict=True)
    max = fields.Integer(required=True, strict=True)


class TemplateVersionIn(InSchema):
    document = fields.Dict(load_default=None, metadata={"description": "A rule set; omitted: copy the latest"})
    allowed = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(Range),
        load_default=None,
        metadata={"description": "{rule code: {min, max}}: amounts a village may choose"},
    )
    notes = fields.String(load_default=None, validate=validate.Length(max=500))


class TemplateVersionOut(OutSchema):
    id = fields.Integer()
    template_id = fields.Integer()
    version = fields.Integer()
    status = fields.String()
    notes = fields.String(allow_none=True)
    allowed = fields.Dict()
    document = fields.Dict()
    drafted_by_id = fields.Integer(allow_none=True)
    published_by_id = fields.Integer(allow_none=True)
    published_at = fields.DateTime(allow_none=True)


class TemplateVersionBriefOut(OutSchema):
    id = fields.Integer()
    version = fields.Integer()
    status = fields.String()
    notes = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)


class TemplateBriefOut(OutSchema):
    id = fields.Integer()
    kind = fields.String()
    code = fields.String()
    name = fields.String()
    city_id = fields.Integer(allow_none=True)
    town_id = fields.Integer(allow_none=True)


class TemplateOut(TemplateBriefOut):
    versions = fields.List(fields.Nested(TemplateVersionBriefOut))


class GoldenOut(OutSchema):
    name = fields.String()
    passed = fields.Boolean()
    expected = fields.Dict()
    actual = fields.Dict()


class TemplateCheckOut(OutSchema):
    valid = fields.Boolean()
    errors = fields.Dict()
    allowed_errors = fields.Dict()
    golden_tests = fields.List(fields.Nested(GoldenOut))


class AdoptIn(InSchema):
    village_id = fields.Integer(required=True, strict=True)
    template_version_id = fields.Integer(required=True, strict=True)
    amounts = fields.Dict(keys=fields.String(), values=fields.Integer(strict=True), load_default=dict)
    extra_rules = fields.List(fields.Dict(), load_default=list)


class AdoptOut(OutSchema):
    rule_set = fields.Nested(RuleSetOut)
    template_version = fields.Nested(TemplateVersionBriefOut)
    dropped_golden_tests = fields.List(fields.String())


class DiffArgs(InSchema):
    against = fields.Integer(load_default=None, metadata={"description": "Another version's id (default: previous)"})


class ChangesOut(OutSchema):
    added = fields.List(fields.Dict())
    removed = fields.List(fields.Dict())
    changed = fields.List(fields.Dict())
    settings = fields.Dict()


class DiffOut(ChangesOut):
    from_version = fields.Integer()
    to_version = fields.Integer()


class AdoptionRowOut(OutSchema):
    village_id = fields.Integer(attribute="village.id")
    village_code = fields.String(attribute="village.code")
    village_name = fields.String(attribute="village.name")
    rule_set_version = fields.Integer(attribute="rule_set.version", allow_none=True)
    template_version = fields.Integer(allow_none=True)
    draft_template_version = fields.Integer(allow_none=True)
    latest_version = fields.Integer(allow_none=True)
    state = fields.String(metadata={"description": "current, behind, declined, own_rules, no_rules"})


class AdoptionOut(OutSchema):
    template = fields.Nested(TemplateBriefOut)
    villages = fields.List(fields.Nested(AdoptionRowOut))


class UpdateOut(OutSchema):
    template = fields.Nested(TemplateBriefOut)
    from_version = fields.Integer()
    to_version = fields.Integer()
    to_version_id = fields.Integer()
    notes = fields.String(allow_none=True)
    diff = fields.Nested(ChangesOut)
    overrides = fields.Dict()
    overrides_fit = fields.Boolean()
    problems = fields.Dict()


class DeclineIn(InSchema):
    note = fields.String(load_default=None, validate=validate.Length(max=200))


class DecisionOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    template_version_id = fields.Integer()
    decision = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
