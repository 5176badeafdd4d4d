"""Rule templates (规则模板) of towns and cities, and villages adopting them."""

from flask_smorest import Blueprint
from marshmallow import fields, validate

from backend.api.auth_hooks import signed_in
from backend.api.common import InSchema, OutSchema
from backend.api.idempotency import idempotent
from backend.api.rulesets import RuleSetOut
from backend.services.city import adoption, templates

blp = Blueprint("templates", __name__, url_prefix="/api/v1", description="镇、市规则模板")

KIND = validate.OneOf(["points", "credit"])
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


@blp.get("/rule-templates")
@blp.arguments(TemplateListArgs, location="query")
@blp.response(200, TemplateOut(many=True))
@signed_in(*templates.READERS)
def list_templates(args, caller):
    """Templates of the caller's town and city (a city admin: every template of the city)."""
    return templates.list_templates(caller=caller, **args)


@blp.post("/rule-templates")
@idempotent
@blp.arguments(TemplateIn)
@blp.response(201, TemplateOut)
@signed_in(*templates.MANAGERS)
def create_template(args, caller, claim):
    """A template of a city (`city_id`) or a town (`town_id`) the caller manages."""
    return templates.create_template(caller=caller, claim=claim, **args)


@blp.get("/rule-templates/<int:template_id>")
@blp.response(200, TemplateOut)
@signed_in(*templates.READERS)
def get_template(template_id, caller):
    return templates.get_template(caller=caller, template_id=template_id)


@blp.post("/rule-templates/<int:template_id>/versions")
@idempotent
@blp.arguments(TemplateVersionIn)
@blp.response(201, TemplateVersionOut)
@signed_in(*templates.MANAGERS)
def draft_version(args, template_id, caller, claim):
    """A draft version from `document` and `allowed`, or a copy of the latest published one."""
    template = templates.get_template(caller=caller, template_id=template_id)
    return templates.draft_template_version(caller=caller, template=template, claim=claim, **args)


@blp.get("/rule-templates/<int:template_id>/adoption")
@blp.response(200, AdoptionOut)
@signed_in("town_admin", "city_admin", "admin")
def template_adoption(template_id, caller):
    """Which village runs which version of this template (current, behind, declined, own rules)."""
    return adoption.template_adoption(caller=caller, template_id=template_id)


@blp.get("/rule-template-versions/<int:version_id>")
@blp.response(200, TemplateVersionOut)
@signed_in(*templates.READERS)
def get_version(version_id, caller):
    return templates.get_template_version(caller=caller, version_id=version_id)


@blp.patch("/rule-template-versions/<int:version_id>")
@blp.arguments(TemplateVersionIn)
@blp.response(200, TemplateVersionOut)
@signed_in(*templates.MANAGERS)
def update_version(args, version_id, caller):
    version = templates.get_template_version(caller=caller, version_id=version_id)
    return templates.update_template_version(caller=caller, version=version, **args)


@blp.post("/rule-template-versions/<int:version_id>/validate")
@blp.response(200, TemplateCheckOut)
@signed_in(*templates.READERS)
def validate_version(version_id, caller):
    """Errors, allowed-range errors and golden tests; publishing needs `valid: true`."""
    return templates.check_template_version(
        version=templates.get_template_version(caller=caller, version_id=version_id)
    )


@blp.post("/rule-template-versions/<int:version_id>/publish")
@blp.response(200, TemplateVersionOut)
@signed_in(*templates.MANAGERS)
def publish_version(version_id, caller):
    """Publish a valid draft (at least one golden test, all passing); villages then see it as an update."""
    version = templates.get_template_version(caller=caller, version_id=version_id)
    return templates.publish_template_version(caller=caller, version=version)


@blp.get("/rule-template-versions/<int:version_id>/diff")
@blp.arguments(DiffArgs, location="query")
@blp.response(200, DiffOut)
@signed_in(*templates.READERS)
def diff_version(args, version_id, caller):
    """Rules added, removed and changed (field by field), and changed settings, against another version."""
    version = templates.get_template_version(caller=caller, version_id=version_id)
    return adoption.diff_template_versions(caller=caller, version=version, against=args["against"])


@blp.post("/rule-sets/from-template")
@idempotent
@blp.arguments(AdoptIn)
@blp.response(201, AdoptOut)
@signed_in("committee", "town_admin", "admin")
def adopt_template(args, caller, claim):
    """The village's own draft from a published template version: its `amounts` (within the allowed ranges) and
    `extra_rules`; then simulate, validate and publish it like any draft (a second person publishes)."""
    version = templates.get_template_version(caller=caller, version_id=args.pop("template_version_id"))
    return adoption.adopt_template_version(caller=caller, version=version, claim=claim, **args)


@blp.get("/villages/<int:village_id>/template-updates")
@blp.response(200, UpdateOut(many=True))
@signed_in("committee", "town_admin", "admin")
def template_updates(village_id, caller):
    """Newer versions of the templates this village runs, with what changed and whether its amounts still fit."""
    return adoption.list_template_updates(caller=caller, village_id=village_id)


@blp.post("/villages/<int:village_id>/template-updates/<int:version_id>/decline")
@blp.arguments(DeclineIn)
@blp.response(201, DecisionOut)
@signed_in("committee", "town_admin", "admin")
def decline_update(args, village_id, version_id, caller):
    """Keep the village's rules; the version stops showing as an update (the next version asks again)."""
    version = templates.get_template_version(caller=caller, version_id=version_id)
    return adoption.decline_template_update(caller=caller, village_id=village_id, version=version, note=args["note"])
