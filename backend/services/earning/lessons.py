"""Online lessons (在线学习): content and a quiz graded on the server; passing earns points once."""

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput
from backend.extensions import db
from backend.models import Lesson, LessonAttempt
from backend.services.access import STAFF_ROLES, Caller, bound_villager, check_village_in_scope, require_role, scope
from backend.services.audit import record_audit, snapshot
from backend.services.earning.awards import award_points
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.paging import paginate


class LessonAlreadyPassed(Conflict):
    status, message = "lesson_already_passed", "您已通过本课测验并获得积分，重复学习不再加分。"


def create_lesson(
    *, caller: Caller, village_id: int, title: str, content: str, questions: list, pass_mark: int | None
) -> Lesson:
    """A lesson whose quiz answers stay on the server; `pass_mark` (correct answers needed) defaults to all."""
    require_role(caller, *STAFF_ROLES)
    errors = {}
    for number, question in enumerate(questions, start=1):
        if not 0 <= question["answer"] < len(question["options"]):
            errors[str(number - 1)] = {"answer": [f"第 {number} 题的正确答案须是其选项之一（从 0 数起）"]}
    if errors:
        raise InvalidInput(errors={"questions": errors})
    pass_mark = len(questions) if pass_mark is None else pass_mark
    if not 1 <= pass_mark <= len(questions):
        raise InvalidInput(errors={"pass_mark": [f"及格题数须在 1 到 {len(questions)} 之间"]})
    with write_transaction() as session:
        check_village_in_scope(caller, village_id)
        lesson = Lesson(
            village_id=village_id,
            title=title,
            content=content,
            questions=questions,
            pass_mark=pass_mark,
            created_by_id=caller.user_id or None,
        )
        session.add(lesson)
        record_audit(session, actor=caller, action="lesson.create", entity=lesson, after=snapshot(lesson))
        return lesson


def list_lessons(*, caller: Caller, village_id: int | None, limit: int, cursor: str | None) -> dict:
    """Lessons of the caller's village (villagers) or of the villages staff may see."""
    if caller.role == "villager":
        bound_villager(db.session, caller)
    stmt = scope(select(Lesson), Lesson, caller)
    if village_id is not None and caller.role != "villager":
        stmt = stmt.where(Lesson.village_id == village_id)
    return paginate(stmt, Lesson.id, limit=limit, cursor=cursor)


def complete_lesson(*, caller: Caller, lesson: Lesson, answers: list[int], claim: Claim | None = None) -> dict:
    """Grade one quiz attempt; a first pass books the points, a failure names the wrong questions."""
    with claimed_transaction(claim) as session:
        villager = bound_villager(session, caller, lock=True)
        questions = lesson.questions
        if len(answers) != len(questions):
            raise InvalidInput(errors={"answers": [f"应回答全部 {len(questions)} 道题"]})
        passed_before = session.execute(
            select(LessonAttempt.id).where(
                LessonAttempt.lesson_id == lesson.id,
                LessonAttempt.villager_id == villager.id,
                LessonAttempt.passed.is_(True),
            )
        ).first()
        if passed_before is not None:
            raise LessonAlreadyPassed()
        wrong = [number for number, (q, a) in enumerate(zip(questions, answers, strict=True), 1) if q["answer"] != a]
        correct = len(questions) - len(wrong)
        passed = correct >= lesson.pass_mark
        attempt = LessonAttempt(
            village_id=lesson.village_id,
            lesson_id=lesson.id,
            villager_id=villager.id,
            answers=answers,
            correct=correct,
            passed=passed,
            created_at=clock.now(),
        )
        session.add(attempt)
        session.flush()
        result = {
            "passed": passed,
            "correct": correct,
            "total": len(questions),
            "pass_mark": lesson.pass_mark,
            "wrong_questions": wrong,
            "points": 0,
            "explanation": None,
        }
        if not passed:
            result["explanation"] = f"答对 {correct} 题，需答对 {lesson.pass_mark} 题才算通过，请复习后再试"
            return result
        award = award_points(
            session,
            villager=villager,
            activity_type="lesson",
            facts={},
            on=clock.today(),
            source_type="lesson_attempt",
            source_id=attempt.id,
            idempotency_key=f"lesson:{lesson.id}:villager:{villager.id}",
        )
        result.update(points=award.amount, explanation=award.explanation)
        return result
