"""The outbox's dead letters: messages the worker gave up on, for staff to read and retry."""

from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.outbox.schemas import DeadLetterArgs, OutboxMessageOut
from backend.services.access import STAFF_ROLES
from backend.services.outbox import list_dead_letters, retry_dead_letter

blp = Blueprint("outbox", __name__, url_prefix="/api/v1/outbox", description="消息投递（发件箱）")


@blp.get("/dead-letters")
@blp.arguments(DeadLetterArgs, location="query")
@blp.response(200, page_schema(OutboxMessageOut, "DeadLetterPage"))
@signed_in(*STAFF_ROLES)
def dead_letters(args, caller):
    """Messages given up on after their last attempt, newest first (the caller's villages)."""
    return list_dead_letters(caller=caller, **args)


@blp.post("/dead-letters/<int:message_id>/retry")
@blp.response(200, OutboxMessageOut)
@signed_in(*STAFF_ROLES)
def retry(message_id, caller):
    """Queue a dead message again, with a fresh count of attempts."""
    return retry_dead_letter(caller=caller, message_id=message_id)
