"""Rule sets (规则集): versions, drafts, validation, publishing, and the facts catalogue for the console."""

from flask_smorest import Blueprint

from backend import clock
from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.rulesets.schemas import (
    ActivityTypesOut,
    CheckOut,
    PublishIn,
    RuleSetCreateIn,
    RuleSetListArgs,
    RuleSetOut,
    RuleSetPatchIn,
)
from backend.models import RuleSet
from backend.rules import export_catalogue
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.earning import awards
from backend.services.rulesets import versions as rulesets

blp = Blueprint("rulesets", __name__, url_prefix="/api/v1", description="积分与信用规则集")


@blp.get("/rule-sets")
@blp.arguments(RuleSetListArgs, location="query")
@blp.response(200, page_schema(RuleSetOut, "RuleSetPage"))
@signed_in(*STAFF_ROLES)
def list_rule_sets(args, caller):
    return rulesets.list_rule_sets(caller=caller, **args)


@blp.post("/rule-sets")
@blp.arguments(RuleSetCreateIn)
@blp.response(201, RuleSetOut)
@signed_in(*STAFF_ROLES)
def create_rule_set(args, caller):
    """A draft: from `document`, a copy of version `copy_of` (rollback), or of the published version."""
    copy_of_id = args.pop("copy_of")
    copy_of = get_scoped_or_404(RuleSet, copy_of_id, caller) if copy_of_id else None
    return rulesets.create_rule_set_draft(caller=caller, copy_of=copy_of, **args)


@blp.get("/rule-sets/<int:rule_set_id>")
@blp.response(200, RuleSetOut)
@signed_in(*STAFF_ROLES)
def get_rule_set(rule_set_id, caller):
    return get_scoped_or_404(RuleSet, rule_set_id, caller)


@blp.patch("/rule-sets/<int:rule_set_id>")
@blp.arguments(RuleSetPatchIn)
@blp.response(200, RuleSetOut)
@signed_in(*STAFF_ROLES)
def update_rule_set(args, rule_set_id, caller):
    rule_set = get_scoped_or_404(RuleSet, rule_set_id, caller)
    return rulesets.update_rule_set_draft(caller=caller, rule_set=rule_set, document=args["document"])


@blp.post("/rule-sets/<int:rule_set_id>/validate")
@blp.response(200, CheckOut)
@signed_in(*STAFF_ROLES)
def validate_rule_set(rule_set_id, caller):
    """Errors naming rule and field, and the golden-test results; publishing needs `valid: true`."""
    return rulesets.check_rule_set(rule_set=get_scoped_or_404(RuleSet, rule_set_id, caller))


@blp.post("/rule-sets/<int:rule_set_id>/publish")
@blp.arguments(PublishIn)
@blp.response(200, RuleSetOut)
@signed_in(*STAFF_ROLES)
def publish_rule_set(args, rule_set_id, caller):
    rule_set = get_scoped_or_404(RuleSet, rule_set_id, caller)
    return rulesets.publish_rule_set(caller=caller, rule_set=rule_set, effective_from=args["effective_from"])


@blp.get("/rules/catalogue")
@blp.response(200)
@signed_in(*STAFF_ROLES)
def rules_catalogue(caller):
    """Facts, operators, effect/cap/expiry kinds and placeholders, for the console's rule editor."""
    return export_catalogue()


@blp.get("/activity-types")
@blp.response(200, ActivityTypesOut)
@signed_in("villager")
def activity_types(caller):
    """What earns points in the caller's village today, and how many (from the rule set in force)."""
    return awards.describe_activity_types(caller=caller, on=clock.today())
