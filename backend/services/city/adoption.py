"""Villages and templates: adopting a version as the village's own draft, seeing what a new version changes,
deciding about it, and which village runs which version.

An adopted draft goes the usual way of a village's rule set (simulate, validate, publish by a second person).
"""

from sqlalchemy import select

from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput, NotFound
from backend.extensions import db
from backend.models import RuleSet, RuleTemplate, RuleTemplateVersion, TemplateDecision, Town, Village
from backend.rules import run_golden_tests
from backend.rules.templates import apply_overrides, diff_rule_sets
from backend.services.access import STAFF_ROLES, Caller, check_village_in_scope, require_role, scope
from backend.services.audit import record_audit
from backend.services.city.templates import get_template, latest_published, visible_templates
from backend.services.idempotency import Claim
from backend.services.rulesets import create_rule_set_draft


class TemplateVersionNotPublished(Conflict):
    status, message = "template_version_not_published", "只能采用已发布的模板版本。"


class OverridesInvalid(InvalidInput):
    status, message = "overrides_invalid", "本村的调整超出了模板允许的范围，请按标出的规则修改。"


def _owns(template: RuleTemplate, village: Village) -> bool:
    """Whether the template is one of the village's town or city."""
    if template.town_id is not None:
        return template.town_id == village.town_id
    return db.session.get(Town, village.town_id).city_id == template.city_id


def adopt_template_version(
    *,
    caller: Caller,
    village_id: int,
    version: RuleTemplateVersion,
    amounts: dict,
    extra_rules: list,
    claim: Claim | None = None,
) -> dict:
    """The village's own draft from a template version, its amounts and extra rules applied.

    The template's golden tests that still hold under the village's amounts come along; those an adjusted
    amount changes are listed as `dropped_golden_tests`, for the village to replace with its own.
    """
    require_role(caller, *STAFF_ROLES)
    village = check_village_in_scope(caller, village_id)
    template = db.session.get(RuleTemplate, version.template_id)
    if not _owns(template, village):
        raise NotFound()
    if version.status != "published":
        raise TemplateVersionNotPublished()
    document, errors = apply_overrides(
        version.document, version.allowed or {}, amounts=amounts, extra_rules=extra_rules
    )
    if errors:
        raise OverridesInvalid(errors=errors)
    results = run_golden_tests(document) if amounts else []
    dropped = [t["name"] for t in results if not t["passed"]]
    document["golden_tests"] = [t for t in document.get("golden_tests", []) if t.get("name") not in dropped]
    rule_set = create_rule_set_draft(
        caller=caller,
        village_id=village.id,
        kind=template.kind,
        document=document,
        template_version_id=version.id,
        overrides={"amounts": dict(amounts), "extra_rules": list(extra_rules)},
        claim=claim,
    )
    return {"rule_set": rule_set, "template_version": version, "dropped_golden_tests": dropped}


def _village_template_state(session, village: Village, template: RuleTemplate) -> dict:
    """Which version of `template` the village runs, drafts, or declined, against the latest published one."""
    versions = {
        v.id: v
        for v in session.execute(
            select(RuleTemplateVersion).where(RuleTemplateVersion.template_id == template.id)
        ).scalars()
    }
    sets = (
        session.execute(
            select(RuleSet)
            .where(RuleSet.village_id == village.id, RuleSet.kind == template.kind)
            .order_by(RuleSet.version.desc())
        )
        .scalars()
        .all()
    )
    published = next((s for s in sets if s.status == "published"), None)
    running = versions.get(published.template_version_id) if published is not None else None
    drafted = next(
        (versions[s.template_version_id] for s in sets if s.status == "draft" and s.template_version_id in versions),
        None,
    )
    latest = latest_published(session, template.id)
    declined = set(
        session.execute(
            select(TemplateDecision.template_version_id).where(
                TemplateDecision.village_id == village.id, TemplateDecision.decision == "declined"
            )
        ).scalars()
    )
    if published is None:
        state = "no_rules"
    elif running is None:
        state = "own_rules"
    elif latest is None or running.version >= latest.version:
        state = "current"
    elif latest.id in declined:
        state = "declined"
    else:
        state = "behind"
    return {
        "village": village,
        "rule_set": published,
        "template_version": running.version if running else None,
        "draft_template_version": drafted.version if drafted else None,
        "latest_version": latest.version if latest else None,
        "state": state,
        "_running": running,
        "_latest": latest,
        "_published": published,
    }


def template_adoption(*, caller: Caller, template_id: int) -> dict:
    """For each village the caller oversees under this template: which version runs, and whether it is behind."""
    require_role(caller, "town_admin", "city_admin", "admin")
    template = get_template(caller=caller, template_id=template_id)
    villages = db.session.execute(scope(select(Village), Village, caller).order_by(Village.code)).scalars()
    rows = [_village_template_state(db.session, v, template) for v in villages if _owns(template, v)]
    return {"template": template, "villages": rows}


def list_template_updates(*, caller: Caller, village_id: int) -> list[dict]:
    """New template versions the village runs an earlier version of and has not yet decided about, with the diff."""
    require_role(caller, *STAFF_ROLES)
    village = check_village_in_scope(caller, village_id)
    updates = []
    for template in db.session.execute(visible_templates(caller)).scalars():
        if not _owns(template, village):
            continue
        state = _village_template_state(db.session, village, template)
        if state["state"] != "behind" or state["draft_template_version"] == state["latest_version"]:
            continue
        running, latest, published = state["_running"], state["_latest"], state["_published"]
        overrides = published.overrides or {"amounts": {}, "extra_rules": []}
        _document, problems = apply_overrides(
            latest.document,
            latest.allowed or {},
            amounts=overrides.get("amounts", {}),
            extra_rules=overrides.get("extra_rules", []),
        )
        updates.append(
            {
                "template": template,
                "from_version": running.version,
                "to_version": latest.version,
                "to_version_id": latest.id,
                "notes": latest.notes,
                "diff": diff_rule_sets(running.document, latest.document),
                "overrides": overrides,
                "overrides_fit": not problems,
                "problems": problems,
            }
        )
    return updates


def decline_template_update(*, caller: Caller, village_id: int, version: RuleTemplateVersion, note: str | None):
    """The village keeps its rules and stops being reminded of this version (a later version asks again)."""
    require_role(caller, *STAFF_ROLES)
    village = check_village_in_scope(caller, village_id)
    template = db.session.get(RuleTemplate, version.template_id)
    if not _owns(template, village):
        raise NotFound()
    if version.status == "draft":
        raise TemplateVersionNotPublished()
    with write_transaction() as session:
        decision = TemplateDecision(
            village_id=village.id,
            template_version_id=version.id,
            decision="declined",
            note=note,
            decided_by_id=caller.user_id or None,
        )
        session.add(decision)
        session.flush()
        record_audit(
            session,
            actor=caller,
            action="rule_template.decline",
            entity=decision,
            after={"template": template.code, "version": version.version, "note": note},
        )
        return decision


def diff_template_versions(*, caller: Caller, version: RuleTemplateVersion, against: int | None) -> dict:
    """What `version` changes from `against` (default: the version before it)."""
    stmt = select(RuleTemplateVersion).where(RuleTemplateVersion.template_id == version.template_id)
    if against is None:
        stmt = stmt.where(RuleTemplateVersion.version < version.version).order_by(RuleTemplateVersion.version.desc())
    else:
        stmt = stmt.where(RuleTemplateVersion.id == against)
    older = db.session.execute(stmt.limit(1)).scalar_one_or_none()
    if older is None:
        raise NotFound("没有可比较的版本。")
    return {
        "from_version": older.version,
        "to_version": version.version,
        **diff_rule_sets(older.document, version.document),
    }
