"""Publishing an event to the subscriptions that cover its village, inside the transaction that caused it.

One outbox message per subscription (kind "webhook"), deduplicated by subscription and cause, so a retried
request or a rerun job announces nothing twice. Payloads are minimal: ids, amounts, codes and dates, no names.
"""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend import clock
from backend.models import Town, Village, WebhookSubscription
from backend.models.webhooks import WEBHOOK_EVENT_TYPES
from backend.services.outbox import enqueue_message


def publish_event(session: Session, *, event_type: str, village_id: int, key: str, data: dict) -> int:
    """Enqueue `event_type` for every active subscription of the village's town or city; returns how many."""
    assert event_type in WEBHOOK_EVENT_TYPES, event_type
    village = session.execute(
        select(Village.id, Village.code, Village.town_id, Town.city_id)
        .join(Town, Town.id == Village.town_id)
        .where(Village.id == village_id)
    ).one()
    owners = [WebhookSubscription.town_id == village.town_id]
    if village.city_id is not None:
        owners.append(WebhookSubscription.city_id == village.city_id)
    subscriptions = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.event_types).where(
            WebhookSubscription.is_active.is_(True), or_(*owners)
        )
    ).all()
    count = 0
    for subscription_id, event_types in subscriptions:
        if event_type not in (event_types or []):
            continue
        event = {
            "type": event_type,
            "id": f"{event_type}:{key}",
            "timestamp": clock.to_local(clock.now()).isoformat(timespec="seconds"),
            "village_code": village.code,
            "data": data,
        }
        enqueue_message(
            session,
            kind="webhook",
            payload={"subscription_id": subscription_id, "event": event},
            village_id=village_id,
            dedupe_key=f"webhook:{subscription_id}:{event['id']}"[:200],
        )
        count += 1
    return count
