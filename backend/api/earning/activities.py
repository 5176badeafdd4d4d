"""Tap activities: polls (民主评议) and online lessons (在线学习)."""

from datetime import UTC

from flask_smorest import Blueprint
from marshmallow import fields, validate

from backend.api.auth_hooks import signed_in
from backend.api.common import InSchema, OutSchema, PageArgs, page_schema
from backend.api.idempotency import idempotent
from backend.models import Lesson, Poll
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.earning import lessons, polls

blp = Blueprint("activities", __name__, url_prefix="/api/v1", description="点一点：民主评议与在线学习")

ANYONE = ("villager", *STAFF_ROLES)


class UtcDateTime(fields.DateTime):
    """ISO date-time; one with an offset is converted to naive UTC, one without is taken as UTC (as stored)."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class ListArgs(PageArgs):
    village_id = fields.Integer(load_default=None)


# --- polls ----------------------------------------------------------------------------------------------


class PollIn(InSchema):
    village_id = fields.Integer(required=True)
    question = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default=None)
    mode = fields.String(required=True, validate=validate.OneOf(["adult", "household"]))
    options = fields.List(
        fields.String(validate=validate.Length(max=100)), required=True, validate=validate.Length(min=2, max=20)
    )
    opens_at = UtcDateTime(required=True)
    closes_at = UtcDateTime(required=True)
    quorum_percent = fields.Integer(load_default=50, validate=validate.Range(min=0, max=100))


class PollOptionOut(OutSchema):
    id = fields.Integer()
    label = fields.String()


class PollOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    question = fields.String()
    description = fields.String(allow_none=True)
    mode = fields.String()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    quorum_percent = fields.Integer()
    options = fields.List(fields.Nested(PollOptionOut))


class VoteIn(InSchema):
    option_id = fields.Integer(required=True)


class VoteOut(OutSchema):
    poll_id = fields.Integer()
    option_id = fields.Integer()
    points = fields.Integer()
    explanation = fields.String(allow_none=True)


class ResultOptionOut(OutSchema):
    id = fields.Integer()
    label = fields.String()
    votes = fields.Integer(allow_none=True)


class PollResultsOut(OutSchema):
    poll_id = fields.Integer()
    closed = fields.Boolean()
    mode = fields.String()
    eligible = fields.Integer()
    ballots = fields.Integer()
    turnout_percent = fields.Float()
    quorum_percent = fields.Integer()
    quorum_met = fields.Boolean()
    options = fields.List(fields.Nested(ResultOptionOut))


@blp.post("/polls")
@blp.arguments(PollIn)
@blp.response(201, PollOut)
@signed_in(*STAFF_ROLES)
def create_poll(args, caller):
    return polls.create_poll(caller=caller, **args)


@blp.get("/polls")
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(PollOut, "PollPage"))
@signed_in(*ANYONE)
def list_polls(args, caller):
    """Villagers: the open polls of their village. Staff: all polls (optionally of one village)."""
    return polls.list_polls(caller=caller, **args)


@blp.get("/polls/<int:poll_id>")
@blp.response(200, PollOut)
@signed_in(*ANYONE)
def get_poll(poll_id, caller):
    return get_scoped_or_404(Poll, poll_id, caller)


@blp.post("/polls/<int:poll_id>/votes")
@idempotent(required=False)
@blp.arguments(VoteIn)
@blp.response(201, VoteOut)
@signed_in("villager")
def vote(args, poll_id, caller, claim):
    """One ballot per adult, or per household when the poll says so; earns the voting points."""
    poll = get_scoped_or_404(Poll, poll_id, caller)
    return polls.cast_vote(caller=caller, poll=poll, option_id=args["option_id"], claim=claim)


@blp.get("/polls/<int:poll_id>/results")
@blp.response(200, PollResultsOut)
@signed_in(*ANYONE)
def poll_results(poll_id, caller):
    """Counts after close; before close staff see live turnout (counts hidden) and villagers a 409."""
    return polls.poll_results(caller=caller, poll=get_scoped_or_404(Poll, poll_id, caller))


# --- lessons --------------------------------------------------------------------------------------------


class QuestionIn(InSchema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    options = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)), required=True, validate=validate.Length(min=2, max=8)
    )
    answer = fields.Integer(required=True, metadata={"description": "index of the correct option, from 0"})


class LessonIn(InSchema):
    village_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content = fields.String(required=True, validate=validate.Length(min=1))
    questions = fields.List(fields.Nested(QuestionIn), required=True, validate=validate.Length(min=1, max=20))
    pass_mark = fields.Integer(load_default=None, metadata={"description": "correct answers needed; default all"})


class QuestionOut(OutSchema):
    text = fields.String()
    options = fields.List(fields.String())


class StaffQuestionOut(QuestionOut):
    answer = fields.Integer()


class LessonOut(OutSchema):
    """What a villager sees: the quiz without its answers."""

    id = fields.Integer()
    village_id = fields.Integer()
    title = fields.String()
    content = fields.String()
    pass_mark = fields.Integer()
    questions = fields.List(fields.Nested(QuestionOut))


class StaffLessonOut(LessonOut):
    questions = fields.List(fields.Nested(StaffQuestionOut))


class CompletionIn(InSchema):
    answers = fields.List(fields.Integer(), required=True, metadata={"description": "chosen option per question"})


class CompletionOut(OutSchema):
    passed = fields.Boolean()
    correct = fields.Integer()
    total = fields.Integer()
    pass_mark = fields.Integer()
    wrong_questions = fields.List(fields.Integer(), metadata={"description": "question numbers, from 1"})
    points = fields.Integer()
    explanation = fields.String(allow_none=True)


@blp.post("/lessons")
@blp.arguments(LessonIn)
@blp.response(201, StaffLessonOut)
@signed_in(*STAFF_ROLES)
def create_lesson(args, caller):
    return lessons.create_lesson(caller=caller, **args)


@blp.get("/lessons")
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(LessonOut, "LessonPage"))
@signed_in(*ANYONE)
def list_lessons(args, caller):
    return lessons.list_lessons(caller=caller, **args)


@blp.get("/lessons/<int:lesson_id>")
@blp.response(200, LessonOut)
@signed_in(*ANYONE)
def get_lesson(lesson_id, caller):
    """The lesson and its quiz, without the correct answers (they are graded on the server)."""
    return get_scoped_or_404(Lesson, lesson_id, caller)


@blp.post("/lessons/<int:lesson_id>/completions")
@idempotent(required=False)
@blp.arguments(CompletionIn)
@blp.response(200, CompletionOut)
@signed_in("villager")
def complete_lesson(args, lesson_id, caller, claim):
    """Grade the quiz: a first pass earns points; a failure lists the wrong questions and may be retried."""
    lesson = get_scoped_or_404(Lesson, lesson_id, caller)
    return lessons.complete_lesson(caller=caller, lesson=lesson, answers=args["answers"], claim=claim)
