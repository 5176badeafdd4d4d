"""Input and output schemas of rule sets: drafts, checks, publishing, what earns points."""

from marshmallow import fields, validate

from backend.api.common import InSchema, OutSchema, PageArgs

KIND = validate.OneOf(["points", "credit"])


class RuleSetListArgs(PageArgs):
    village_id = fields.Integer(required=True)
    kind = fields.String(load_default=None, validate=KIND)


class RuleSetCreateIn(InSchema):
    village_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=KIND)
    # One of: a document, a version to copy (rollback), or neither (a copy of the published version).
    document = fields.Dict(load_default=None)
    copy_of = fields.Integer(load_default=None)


class RuleSetPatchIn(InSchema):
    document = fields.Dict(required=True)


class PublishIn(InSchema):
    effective_from = fields.Date(required=True)


class RuleSetOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    kind = fields.String()
    version = fields.Integer()
    status = fields.String()
    effective_from = fields.Date(allow_none=True)
    superseded_on = fields.Date(allow_none=True)
    copied_from_id = fields.Integer(allow_none=True)
    template_version_id = fields.Integer(allow_none=True)
    overrides = fields.Dict(allow_none=True)
    drafted_by_id = fields.Integer(allow_none=True)
    published_by_id = fields.Integer(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    document = fields.Dict()


class GoldenResultOut(OutSchema):
    name = fields.String()
    passed = fields.Boolean()
    expected = fields.Dict()
    actual = fields.Dict()


class CheckOut(OutSchema):
    valid = fields.Boolean()
    errors = fields.Dict()
    golden_tests = fields.List(fields.Nested(GoldenResultOut))


class ActivityTypeOut(OutSchema):
    code = fields.String()
    activity_type = fields.String(allow_none=True)
    activity_label = fields.String()
    title = fields.String()
    amount_text = fields.String()
    cap_text = fields.String()
    evidence = fields.List(fields.String())


class ActivityTypesOut(OutSchema):
    version = fields.Integer(allow_none=True)
    effective_from = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(ActivityTypeOut))
