"""Rule templates (规则模板) of towns and cities, and villages adopting them."""

from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.city.schemas import (
    AdoptIn,
    AdoptionOut,
    AdoptOut,
    DecisionOut,
    DeclineIn,
    DiffArgs,
    DiffOut,
    TemplateCheckOut,
    TemplateIn,
    TemplateListArgs,
    TemplateOut,
    TemplateVersionIn,
    TemplateVersionOut,
    UpdateOut,
)
from backend.api.idempotency import idempotent
from backend.services.access import STAFF_ROLES
from backend.services.city import adoption, templates

blp = Blueprint("templates", __name__, url_prefix="/api/v1", description="镇、市规则模板")


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
@signed_in(*STAFF_ROLES)
def adopt_template(args, caller, claim):
    """The village's own draft from a published template version: its `amounts` (within the allowed ranges) and
    `extra_rules`; then simulate, validate and publish it like any draft (a second person publishes)."""
    version = templates.get_template_version(caller=caller, version_id=args.pop("template_version_id"))
    return adoption.adopt_template_version(caller=caller, version=version, claim=claim, **args)


@blp.get("/villages/<int:village_id>/template-updates")
@blp.response(200, UpdateOut(many=True))
@signed_in(*STAFF_ROLES)
def template_updates(village_id, caller):
    """Newer versions of the templates this village runs, with what changed and whether its amounts still fit."""
    return adoption.list_template_updates(caller=caller, village_id=village_id)


@blp.post("/villages/<int:village_id>/template-updates/<int:version_id>/decline")
@blp.arguments(DeclineIn)
@blp.response(201, DecisionOut)
@signed_in(*STAFF_ROLES)
def decline_update(args, village_id, version_id, caller):
    """Keep the village's rules; the version stops showing as an update (the next version asks again)."""
    version = templates.get_template_version(caller=caller, version_id=version_id)
    return adoption.decline_template_update(caller=caller, village_id=village_id, version=version, note=args["note"])
