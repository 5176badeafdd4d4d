"""Rule sets as versioned data: draft, validate, publish (four eyes, golden tests), and the version in force."""

import copy
import json
from datetime import date
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, InvalidInput
from backend.models import RuleSet, Village
from backend.rules import CompiledRuleSet, RuleError, compile_rule_set, run_golden_tests, validate_rule_set
from backend.services.access import STAFF_ROLES, Caller, check_village_in_scope, require_role, scope
from backend.services.audit import record_audit
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.paging import paginate

IN_FORCE = ("published", "superseded")


class RuleSetNotDraft(Conflict):
    status, message = "rule_set_not_draft", "第 %(version)s 版已发布，已发布的版本不能修改；请另建草稿。"


class FourEyesRequired(Forbidden):
    status, message = "four_eyes_required", "起草人不能发布自己起草的规则集，须由另一位村委成员或镇管理员发布。"


class RuleSetInvalidError(InvalidInput):
    status, message = "rule_set_invalid", "规则集校验未通过，请按标出的规则和字段修改。"


class GoldenTestsFailed(InvalidInput):
    status, message = "golden_tests_failed", "有 %(count)s 个黄金用例未通过，不能发布。"


class NoPublishedRuleSet(InvalidInput):
    status, message = "no_published_rule_set", "本村还没有已发布的规则集，请提供规则内容。"


def list_rule_sets(*, caller: Caller, village_id: int, kind: str | None, limit: int, cursor: str | None) -> dict:
    """Every version of the village's rule sets, newest first."""
    require_role(caller, *STAFF_ROLES)
    check_village_in_scope(caller, village_id)
    stmt = scope(select(RuleSet).where(RuleSet.village_id == village_id), RuleSet, caller)
    if kind:
        stmt = stmt.where(RuleSet.kind == kind)
    return paginate(stmt, RuleSet.id, limit=limit, cursor=cursor)


def get_rule_set_in_force(session: Session, *, village_id: int, kind: str, on: date) -> RuleSet | None:
    """The published version whose effective date is the latest on or before `on`; None if none is."""
    stmt = (
        select(RuleSet)
        .where(
            RuleSet.village_id == village_id,
            RuleSet.kind == kind,
            RuleSet.status.in_(IN_FORCE),
            RuleSet.effective_from <= on,
        )
        .order_by(RuleSet.effective_from.desc(), RuleSet.version.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def _latest_published(session: Session, village_id: int, kind: str) -> RuleSet | None:
    stmt = select(RuleSet).where(RuleSet.village_id == village_id, RuleSet.kind == kind, RuleSet.status == "published")
    return session.execute(stmt.order_by(RuleSet.version.desc()).limit(1)).scalar_one_or_none()


def _next_version(session: Session, village_id: int, kind: str) -> int:
    stmt = select(func.max(RuleSet.version)).where(RuleSet.village_id == village_id, RuleSet.kind == kind)
    return (session.execute(stmt).scalar() or 0) + 1


def _stamped(document: dict, *, kind: str, version: int, effective_from: date | None) -> dict:
    stamped = copy.deepcopy(document)
    stamped.update(kind=kind, version=version, effective_from=effective_from.isoformat() if effective_from else None)
    return stamped


def create_rule_set_draft(
    *,
    caller: Caller,
    village_id: int,
    kind: str,
    document: dict | None = None,
    copy_of: RuleSet | None = None,
    template_version_id: int | None = None,
    overrides: dict | None = None,
    claim: Claim | None = None,
) -> RuleSet:
    """A new draft version: from `document`, a copy of `copy_of` (a rollback), or of the published version.

    A draft adopted from a template names the template version and the village's overrides; a copy keeps them.
    """
    require_role(caller, *STAFF_ROLES)
    if document is not None and document.get("kind", kind) != kind:
        raise InvalidInput(errors={"document": [f"规则内容的 kind 应为 {kind}"]})
    with claimed_transaction(claim) as session:
        check_village_in_scope(caller, village_id)
        if copy_of is not None:
            if (copy_of.village_id, copy_of.kind) != (village_id, kind):
                raise InvalidInput(errors={"copy_of": ["只能复制本村同类规则集的版本"]})
            document = copy_of.document
        elif document is None:
            published = _latest_published(session, village_id, kind)
            if published is None:
                raise NoPublishedRuleSet()
            copy_of, document = published, published.document
        version = _next_version(session, village_id, kind)
        rule_set = RuleSet(
            village_id=village_id,
            kind=kind,
            version=version,
            status="draft",
            document=_stamped(document, kind=kind, version=version, effective_from=None),
            copied_from_id=copy_of.id if copy_of else None,
            drafted_by_id=caller.user_id or None,
            template_version_id=template_version_id or (copy_of.template_version_id if copy_of else None),
            overrides=overrides if template_version_id else (copy_of.overrides if copy_of else None),
        )
        session.add(rule_set)
        session.flush()
        record_audit(session, actor=caller, action="rule_set.draft", entity=rule_set, after=_summary(rule_set))
        return rule_set


def update_rule_set_draft(*, caller: Caller, rule_set: RuleSet, document: dict) -> RuleSet:
    """Replace a draft's document; the editor becomes its drafter (who may then not publish it)."""
    require_role(caller, *STAFF_ROLES)
    if document.get("kind", rule_set.kind) != rule_set.kind:
        raise InvalidInput(errors={"document": [f"规则内容的 kind 应为 {rule_set.kind}"]})
    with write_transaction() as session:
        rule_set = _locked(session, rule_set.id)
        if rule_set.status != "draft":
            raise RuleSetNotDraft(version=rule_set.version)
        before = _summary(rule_set)
        rule_set.document = _stamped(document, kind=rule_set.kind, version=rule_set.version, effective_from=None)
        rule_set.drafted_by_id = caller.user_id or None
        record_audit(
            session,
            actor=caller,
            action="rule_set.update",
            entity=rule_set,
            before=before,
            after=_summary(rule_set),
        )
        return rule_set


def check_rule_set(*, rule_set: RuleSet) -> dict:
    """Validation errors (naming rule and field) and, when valid, the golden-test results."""
    errors = validate_rule_set(rule_set.document)
    golden = [] if errors else run_golden_tests(rule_set.document)
    return {
        "valid": not errors and all(test["passed"] for test in golden),
        "errors": errors,
        "golden_tests": golden,
    }


def publish_rule_set(*, caller: Caller, rule_set: RuleSet, effective_from: date) -> RuleSet:
    """Publish a valid draft whose golden tests pass, in force from `effective_from`; supersede the previous one.

    Only a village's first version may take effect in the past: nothing is re-scored retroactively.
    """
    require_role(caller, *STAFF_ROLES)
    with write_transaction() as session:
        # The village row is the publishing mutex: two drafts published at once must not both see the same
        # version as the one to supersede (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises).
        session.execute(select(Village.id).where(Village.id == rule_set.village_id).with_for_update())
        rule_set = _locked(session, rule_set.id)
        if rule_set.status != "draft":
            raise RuleSetNotDraft(version=rule_set.version)
        if rule_set.drafted_by_id is not None and rule_set.drafted_by_id == caller.user_id:
            raise FourEyesRequired()
        previous = _latest_published(session, rule_set.village_id, rule_set.kind)
        _check_effective_date(effective_from, previous)
        document = _stamped(
            rule_set.document, kind=rule_set.kind, version=rule_set.version, effective_from=effective_from
        )
        errors = validate_rule_set(document)
        if errors:
            raise RuleSetInvalidError(errors=errors)
        failures = [test for test in run_golden_tests(document) if not test["passed"]]
        if failures:
            raise GoldenTestsFailed(count=len(failures), errors={"golden_tests": [_failure(t) for t in failures]})
        if previous is not None:
            previous.status, previous.superseded_on = "superseded", effective_from
        rule_set.document = document
        rule_set.status, rule_set.effective_from = "published", effective_from
        rule_set.published_by_id, rule_set.published_at = caller.user_id or None, clock.now()
        record_audit(session, actor=caller, action="rule_set.publish", entity=rule_set, after=_summary(rule_set))
        return rule_set


def compiled_rule_set(rule_set: RuleSet) -> CompiledRuleSet:
    """The compiled form of a stored version (see `compiled_document`)."""
    return compiled_document(rule_set.document)


def compiled_document(document: dict) -> CompiledRuleSet:
    """The compiled form of a rule-set document: the one cache of compiled rule sets, for points and credit.

    Compiling validates, which is not cheap; a published document never changes, so one compilation per distinct
    content serves every request, recompute and simulation of the process.
    """
    return _compile(json.dumps(document, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=256)
def _compile(document_json: str) -> CompiledRuleSet:
    try:
        return compile_rule_set(json.loads(document_json))
    except RuleError as error:  # pragma: no cover - a published document was validated when published
        raise Conflict("规则集无法使用：%(reason)s", reason=error.message) from error


def _check_effective_date(effective_from: date, previous: RuleSet | None) -> None:
    if previous is None:
        return
    if effective_from < clock.today():
        raise InvalidInput(errors={"effective_from": ["生效日期不能早于今天：已发生的活动不按新规则重新计分"]})
    if effective_from < previous.effective_from:
        raise InvalidInput(
            errors={
                "effective_from": [f"生效日期不能早于现行第 {previous.version} 版的生效日期 {previous.effective_from}"]
            }
        )


def _failure(test: dict) -> str:
    return f"黄金用例「{test['name']}」：期望 {test['expected']}，实际 {test['actual']}"


def _locked(session: Session, rule_set_id: int) -> RuleSet:
    # A draft is edited by one person at a time; the row lock makes publish and edit wait for each other.
    stmt = select(RuleSet).where(RuleSet.id == rule_set_id).with_for_update()
    return session.execute(stmt).scalar_one()


def _summary(rule_set: RuleSet) -> dict:
    return {
        "kind": rule_set.kind,
        "version": rule_set.version,
        "status": rule_set.status,
        "effective_from": rule_set.effective_from.isoformat() if rule_set.effective_from else None,
        "rules": [rule.get("code") for rule in rule_set.document.get("rules") or [] if isinstance(rule, dict)],
    }
