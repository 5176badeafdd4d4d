"""Tap activities: polls (民主评议) and online lessons (在线学习)."""

from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.earning.schemas import (
    CompletionIn,
    CompletionOut,
    LessonIn,
    LessonOut,
    ListArgs,
    PollIn,
    PollOut,
    PollResultsOut,
    StaffLessonOut,
    VoteIn,
    VoteOut,
)
from backend.api.idempotency import idempotent
from backend.models import Lesson, Poll
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.earning import lessons, polls

blp = Blueprint("activities", __name__, url_prefix="/api/v1", description="点一点：民主评议与在线学习")

ANYONE = ("villager", *STAFF_ROLES)


# --- polls ----------------------------------------------------------------------------------------------


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
