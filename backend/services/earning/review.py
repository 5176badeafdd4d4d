"""The committee's review of speak and photo claims: queue, approve (booking points), reject, appeal.

Nobody decides on a claim from their own household or on their own assisted entry; awards above
REVIEW_SECOND_APPROVAL_ABOVE points need a second, different committee member. Every decision is audited.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.models import Villager
from backend.models.submissions import OPEN_STATUSES, Submission
from backend.services.access import STAFF_ROLES, Caller, require_role, scope
from backend.services.audit import record_audit, snapshot
from backend.services.earning.awards import AwardPrice, award_points, price_award
from backend.services.notifications import messages, notify
from backend.services.paging import paginate
from backend.settings import current_settings

APPROVED = {"activity.approved": True}


class AlreadyDecided(Conflict):
    status, message = "already_decided", "该申报已处理，不能重复审核。"


class OwnHousehold(Forbidden):
    status, message = "own_household", "不能审核本人或同户家庭成员的申报，请由其他村委成员审核。"


class OwnEntry(Forbidden):
    status, message = "own_entry", "不能审核自己代录的申报，请由其他村委成员审核。"


class SecondApproverRequired(Forbidden):
    status, message = "second_approver_required", "该申报分值较大，须由另一位村委成员复核批准。"


class AppealNeedsOtherReviewer(Forbidden):
    status, message = "appeal_needs_other_reviewer", "申诉须由驳回人以外的村委成员复核。"


class NotAppealable(Conflict):
    status, message = "not_appealable", "只有被驳回的申报可以申诉。"


class AlreadyAppealed(Conflict):
    status, message = "already_appealed", "每份申报只能申诉一次。"


def list_review_queue(
    *,
    caller: Caller,
    status: str | None,
    activity_type: str | None,
    flagged: bool | None,
    limit: int,
    cursor: str | None,
) -> dict:
    """Claims of the caller's villages, oldest first (first come, first reviewed)."""
    require_role(caller, *STAFF_ROLES)
    stmt = scope(select(Submission), Submission, caller)
    if status:
        stmt = stmt.where(Submission.status == status)
    if activity_type:
        stmt = stmt.where(Submission.activity_type == activity_type)
    if flagged is not None:
        stmt = stmt.where(Submission.flagged.is_(flagged))
    return paginate(stmt, Submission.id, limit=limit, cursor=cursor, newest_first=False)


def approve_submission(*, caller: Caller, submission: Submission, amount: int | None, note: str | None) -> Submission:
    """Approve and book the rule's points; a large award waits for a second committee member."""
    require_role(caller, "committee")
    with write_transaction() as session:
        submission = _locked(session, submission.id)
        _check_reviewer(session, caller, submission)
        before = snapshot(submission)
        villager = session.get(Villager, submission.villager_id)
        if submission.status == "awaiting_second_approval":
            if caller.user_id == submission.first_approver_id:
                raise SecondApproverRequired()
            # The console pre-fills what the first approval proposed; any other amount is a disagreement.
            if amount is not None and amount not in (submission.first_approved_amount, submission.proposed_points):
                raise InvalidInput(errors={"amount": ["复核只能按初审分值批准；如有异议请驳回。"]})
            price = _price(session, submission, villager, submission.first_approved_amount)
            _book(session, caller, submission, villager, note, price)
            action = "submission.second_approval"
        else:
            # The pure rules size the award (rule, range, caps) before anything is booked; too big waits.
            price = _price(session, submission, villager, amount)
            if price.amount > current_settings().review_second_approval_above:
                submission.status = "awaiting_second_approval"
                submission.first_approver_id = caller.user_id
                submission.first_approved_amount = amount
                submission.first_approval_note = note
                submission.proposed_points = price.amount
                action = "submission.first_approval"
            else:
                _book(session, caller, submission, villager, note, price)
                action = "submission.approve"
        record_audit(session, actor=caller, action=action, entity=submission, before=before, after=snapshot(submission))
        if submission.status == "approved":
            notify(session, messages.claim_decided(submission))
        return submission


def _price(session: Session, submission: Submission, villager: Villager, amount: int | None) -> AwardPrice:
    """What the claim earns under the rules of its day, `amount` within a range rule's bounds, capped."""
    return price_award(
        session,
        villager=villager,
        activity_type=submission.activity_type,
        facts=APPROVED,
        on=clock.local_date(submission.created_at),
        amount_override=amount,
    )


def _book(session: Session, caller: Caller, submission: Submission, villager: Villager, note, price: AwardPrice):
    award = award_points(
        session,
        villager=villager,
        activity_type=submission.activity_type,
        facts=APPROVED,
        on=clock.local_date(submission.created_at),
        source_type="submission",
        source_id=submission.id,
        idempotency_key=f"submission:{submission.id}",
        actor_id=caller.user_id,
        price=price,
    )
    submission.status = "approved"
    submission.decided_by_id, submission.decided_at = caller.user_id, clock.now()
    submission.review_note = note
    submission.points_awarded = award.amount
    submission.rule_code, submission.rule_version = award.rule_code, award.rule_version
    submission.award_message = (award.explanation or award.reason or "")[:200] or None
    return award


def reject_submission(*, caller: Caller, submission: Submission, reason: str) -> Submission:
    """Reject with a reason the villager sees; they may appeal once."""
    require_role(caller, "committee")
    with write_transaction() as session:
        submission = _locked(session, submission.id)
        _check_reviewer(session, caller, submission)
        before = snapshot(submission)
        submission.status = "rejected"
        submission.rejection_reason = reason
        submission.rejected_by_id = caller.user_id
        submission.decided_by_id, submission.decided_at = caller.user_id, clock.now()
        record_audit(
            session,
            actor=caller,
            action="submission.reject",
            entity=submission,
            before=before,
            after=snapshot(submission),
        )
        notify(session, messages.claim_decided(submission))
        return submission


def appeal_submission(*, caller: Caller, submission: Submission, reason: str) -> Submission:
    """The villager asks once for a rejected claim to be reviewed again."""
    require_role(caller, "villager")
    with write_transaction() as session:
        submission = _locked(session, submission.id)
        if submission.villager_id != caller.villager_id:
            raise NotFound("申报不存在。")
        if submission.appealed:
            raise AlreadyAppealed()
        if submission.status != "rejected":
            raise NotAppealable()
        before = snapshot(submission)
        submission.status = "pending"
        submission.appealed, submission.appeal_reason = True, reason
        submission.decided_by_id = submission.decided_at = None
        record_audit(
            session,
            actor=caller,
            action="submission.appeal",
            entity=submission,
            before=before,
            after=snapshot(submission),
        )
        return submission


def _locked(session: Session, submission_id: int) -> Submission:
    stmt = select(Submission).where(Submission.id == submission_id).with_for_update()
    return session.execute(stmt.execution_options(populate_existing=True)).scalar_one()


def _check_reviewer(session: Session, caller: Caller, submission: Submission) -> None:
    if submission.status not in OPEN_STATUSES:
        raise AlreadyDecided()
    if submission.entered_by_id == caller.user_id:
        raise OwnEntry()
    if caller.villager_id is not None:
        if caller.villager_id == submission.villager_id:
            raise OwnHousehold()
        reviewer = session.get(Villager, caller.villager_id)
        claimant = session.get(Villager, submission.villager_id)
        if reviewer.household_id is not None and reviewer.household_id == claimant.household_id:
            raise OwnHousehold()
    if submission.appealed and submission.rejected_by_id == caller.user_id:
        raise AppealNeedsOtherReviewer()
