"""Factories of the engagement and outbox tests, and the authorisation matrix's objects of those kinds."""

from backend.database import write_transaction
from backend.models import OutboxMessage
from backend.services.notifications import Notice, notify
from backend.services.outbox import enqueue_message


def make_dead_letter(
    village_id: int | None, *, kind: str = "test.refused", payload: dict | None = None
) -> OutboxMessage:
    """An outbox message the worker gave up on."""
    with write_transaction() as session:
        message = enqueue_message(session, kind=kind, payload=payload or {"n": 1}, village_id=village_id)
        message.status, message.attempts, message.last_error = "dead", 8, "43101 用户拒绝接受消息"
    return message


def engagement_object_factories(marker: str) -> dict:
    """Path parameter -> an object of the authorisation matrix's other village, its texts carrying `marker`."""

    def dead_letter(world) -> int:
        if "dead_letter" not in world.objects:
            world.objects["dead_letter"] = make_dead_letter(world.village.id, payload={"text": marker}).id
        return world.objects["dead_letter"]

    def notification(world) -> int:
        if "notification" not in world.objects:
            with write_transaction() as session:
                found = notify(
                    session,
                    Notice(
                        villager_id=world.villager.id,
                        village_id=world.village.id,
                        kind="badge_earned",
                        title=marker,
                        body=marker,
                    ),
                )
            world.objects["notification"] = found.id
        return world.objects["notification"]

    return {"message_id": dead_letter, "notification_id": notification}
