"""Rule templates of a town or a city: who may see and edit them, drafting, checking and publishing versions.

A city admin manages the templates of the city and of its towns, a town admin those of the town; committees read
the templates of their town and city, to adopt them (backend/services/city/adoption.py).
"""

import copy

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput, NotFound
from backend.extensions import db
from backend.models import City, RuleTemplate, RuleTemplateVersion, Town, Village
from backend.rules import run_golden_tests, validate_rule_set
from backend.rules.templates import check_allowed
from backend.services.access import Caller, oversees, require_role
from backend.services.audit import record_audit
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.rulesets import GoldenTestsFailed, RuleSetInvalidError

MANAGERS = ("town_admin", "city_admin", "admin")
READERS = ("committee", *MANAGERS)


class TemplateVersionNotDraft(Conflict):
    status, message = "template_version_not_draft", "模板第 %(version)s 版已发布，不能修改；请另建新版本。"


class AllowedRangesInvalid(InvalidInput):
    status, message = "allowed_ranges_invalid", "允许村调整的分值范围有误，请按标出的规则修改。"


def _caller_city_and_town(caller: Caller) -> tuple[int | None, int | None]:
    """The city and town a caller belongs to (a committee's through its village)."""
    if caller.role == "city_admin":
        return caller.city_id, None
    town_id = caller.town_id
    if town_id is None and caller.village_id is not None:
        town_id = db.session.get(Village, caller.village_id).town_id
    town = db.session.get(Town, town_id) if town_id is not None else None
    return (town.city_id if town else None), town_id


def visible_templates(caller: Caller):
    """A select of the templates the caller may read: of their town and city (a city admin: all of the city)."""
    require_role(caller, *READERS)
    stmt = select(RuleTemplate)
    if caller.role == "admin":
        return stmt
    city_id, town_id = _caller_city_and_town(caller)
    # Compared only when known: `column == None` would read as IS NULL and match every other owner's templates.
    owners = [RuleTemplate.town_id == town_id] if town_id is not None else []
    if city_id is not None:
        owners.append(RuleTemplate.city_id == city_id)
        if caller.role == "city_admin":
            owners.append(RuleTemplate.town_id.in_(select(Town.id).where(Town.city_id == city_id)))
    return stmt.where(or_(*owners)) if owners else stmt.where(false())


def may_manage(caller: Caller, template: RuleTemplate) -> bool:
    return oversees(caller, city_id=template.city_id, town_id=template.town_id)


def get_template(*, caller: Caller, template_id: int) -> RuleTemplate:
    """A template the caller may read, or 404."""
    found = db.session.execute(visible_templates(caller).where(RuleTemplate.id == template_id)).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def get_template_version(*, caller: Caller, version_id: int) -> RuleTemplateVersion:
    """A version of a template the caller may read, or 404."""
    version = db.session.get(RuleTemplateVersion, version_id)
    if version is None:
        raise NotFound()
    get_template(caller=caller, template_id=version.template_id)
    return version


def _managed(caller: Caller, template: RuleTemplate) -> None:
    require_role(caller, *MANAGERS)
    if not may_manage(caller, template):
        raise NotFound()  # readers of another town's template learn nothing more than that it exists


def list_templates(*, caller: Caller, kind: str | None) -> list[RuleTemplate]:
    stmt = visible_templates(caller)
    if kind:
        stmt = stmt.where(RuleTemplate.kind == kind)
    return list(db.session.execute(stmt.order_by(RuleTemplate.code)).scalars())


def create_template(
    *,
    caller: Caller,
    kind: str,
    code: str,
    name: str,
    city_id: int | None,
    town_id: int | None,
    claim: Claim | None = None,
) -> RuleTemplate:
    """A new, empty template of a city or a town the caller manages."""
    require_role(caller, *MANAGERS)
    if (city_id is None) == (town_id is None):
        raise InvalidInput(errors={"city_id": ["请指定市或镇之一。"]})
    with claimed_transaction(claim) as session:
        owner = session.get(City, city_id) if city_id is not None else session.get(Town, town_id)
        template = RuleTemplate(kind=kind, code=code, name=name, city_id=city_id, town_id=town_id)
        if owner is None or not may_manage(caller, template):
            raise NotFound()
        if session.execute(select(RuleTemplate.id).where(RuleTemplate.code == code)).first() is not None:
            raise Conflict("模板编码 %(code)s 已存在。", code=code)
        template.created_by_id = caller.user_id or None
        session.add(template)
        session.flush()
        record_audit(
            session, actor=caller, action="rule_template.create", entity=template, after={"code": code, "kind": kind}
        )
        return template


def latest_published(session: Session, template_id: int) -> RuleTemplateVersion | None:
    return session.execute(
        select(RuleTemplateVersion)
        .where(RuleTemplateVersion.template_id == template_id, RuleTemplateVersion.status == "published")
        .order_by(RuleTemplateVersion.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def _stamped(document: dict, kind: str, version: int) -> dict:
    stamped = copy.deepcopy(document)
    stamped.update(kind=kind, version=version, effective_from=None)
    return stamped


def draft_template_version(
    *,
    caller: Caller,
    template: RuleTemplate,
    document: dict | None,
    allowed: dict | None,
    notes: str | None,
    claim: Claim | None = None,
) -> RuleTemplateVersion:
    """A new draft version: from `document`, or a copy of the latest published version to edit."""
    _managed(caller, template)
    if document is not None and document.get("kind", template.kind) != template.kind:
        raise InvalidInput(errors={"document": ["规则内容的 kind 应与模板一致。"]})
    with claimed_transaction(claim) as session:
        # The template row serialises version numbers of two drafts started at once (PostgreSQL).
        session.execute(select(RuleTemplate.id).where(RuleTemplate.id == template.id).with_for_update())
        previous = latest_published(session, template.id)
        if document is None:
            if previous is None:
                raise InvalidInput(errors={"document": ["模板还没有已发布的版本，请提供规则内容。"]})
            document, allowed = previous.document, allowed if allowed is not None else previous.allowed
        number = (
            session.execute(
                select(func.max(RuleTemplateVersion.version)).where(RuleTemplateVersion.template_id == template.id)
            ).scalar()
            or 0
        ) + 1
        version = RuleTemplateVersion(
            template_id=template.id,
            version=number,
            status="draft",
            document=_stamped(document, template.kind, number),
            allowed=dict(allowed or {}),
            notes=notes,
            drafted_by_id=caller.user_id or None,
        )
        session.add(version)
        session.flush()
        record_audit(
            session,
            actor=caller,
            action="rule_template.draft",
            entity=version,
            after={"template": template.code, "version": number},
        )
        return version


def update_template_version(
    *, caller: Caller, version: RuleTemplateVersion, document: dict | None, allowed: dict | None, notes: str | None
) -> RuleTemplateVersion:
    """Replace a draft's document, allowed ranges or notes."""
    template = db.session.get(RuleTemplate, version.template_id)
    _managed(caller, template)
    with write_transaction() as session:
        version = _locked(session, version.id)
        if version.status != "draft":
            raise TemplateVersionNotDraft(version=version.version)
        if document is not None:
            if document.get("kind", template.kind) != template.kind:
                raise InvalidInput(errors={"document": ["规则内容的 kind 应与模板一致。"]})
            version.document = _stamped(document, template.kind, version.version)
        if allowed is not None:
            version.allowed = dict(allowed)
        if notes is not None:
            version.notes = notes
        version.drafted_by_id = caller.user_id or None
        record_audit(
            session, actor=caller, action="rule_template.update", entity=version, after={"version": version.version}
        )
        return version


def check_template_version(*, version: RuleTemplateVersion) -> dict:
    """Validation errors, allowed-range errors and golden-test results; publishing needs `valid`."""
    errors = validate_rule_set(version.document)
    allowed_errors = check_allowed(version.document, version.allowed or {}) if not errors else {}
    golden = [] if errors else run_golden_tests(version.document)
    return {
        "valid": not errors and not allowed_errors and bool(golden) and all(t["passed"] for t in golden),
        "errors": errors,
        "allowed_errors": allowed_errors,
        "golden_tests": golden,
    }


def publish_template_version(*, caller: Caller, version: RuleTemplateVersion) -> RuleTemplateVersion:
    """Publish a valid draft with golden tests that pass; the previous published version is superseded.

    Villages running an earlier version keep it until they adopt the new one (or decline it).
    """
    template = db.session.get(RuleTemplate, version.template_id)
    _managed(caller, template)
    with write_transaction() as session:
        session.execute(select(RuleTemplate.id).where(RuleTemplate.id == template.id).with_for_update())
        version = _locked(session, version.id)
        if version.status != "draft":
            raise TemplateVersionNotDraft(version=version.version)
        check = check_template_version(version=version)
        if check["errors"]:
            raise RuleSetInvalidError(errors=check["errors"])
        if check["allowed_errors"]:
            raise AllowedRangesInvalid(errors={"allowed": check["allowed_errors"]})
        failed = [t for t in check["golden_tests"] if not t["passed"]]
        if failed or not check["golden_tests"]:
            names = [t["name"] for t in failed] or ["模板至少需要一个黄金用例"]
            raise GoldenTestsFailed(count=max(1, len(failed)), errors={"golden_tests": names})
        previous = latest_published(session, template.id)
        if previous is not None:
            previous.status = "superseded"
        version.status, version.published_at = "published", clock.now()
        version.published_by_id = caller.user_id or None
        record_audit(
            session,
            actor=caller,
            action="rule_template.publish",
            entity=version,
            after={"template": template.code, "version": version.version},
        )
        return version


def _locked(session: Session, version_id: int) -> RuleTemplateVersion:
    stmt = select(RuleTemplateVersion).where(RuleTemplateVersion.id == version_id).with_for_update()
    return session.execute(stmt.execution_options(populate_existing=True)).scalar_one()
