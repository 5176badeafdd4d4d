"""Webhook subscriptions managed by town and city admins, their delivery log, and manual redelivery."""

import base64
import secrets
from dataclasses import dataclass

from sqlalchemy import or_, select

from backend.database import write_transaction
from backend.errors import InvalidInput, NotFound
from backend.extensions import db
from backend.models import City, OutboxMessage, Town, WebhookDelivery, WebhookSubscription
from backend.services.access import Caller, oversees, require_role
from backend.services.audit import record_audit
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.outbox import requeue_message
from backend.services.paging import paginate
from backend.services.people import get_keyring

MANAGERS = ("town_admin", "city_admin", "admin")


@dataclass(frozen=True)
class SubscriptionWithSecret:
    """A subscription and its signing secret, shown once when created or rotated."""

    subscription: WebhookSubscription
    secret: str


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _visible(caller: Caller):
    require_role(caller, *MANAGERS)
    stmt = select(WebhookSubscription)
    if caller.role == "admin":
        return stmt
    if caller.role == "city_admin":
        if caller.city_id is None:
            return stmt.where(WebhookSubscription.id.is_(None))
        towns = select(Town.id).where(Town.city_id == caller.city_id)
        return stmt.where(or_(WebhookSubscription.city_id == caller.city_id, WebhookSubscription.town_id.in_(towns)))
    return stmt.where(WebhookSubscription.town_id == caller.town_id)


def get_subscription(*, caller: Caller, subscription_id: int) -> WebhookSubscription:
    found = db.session.execute(_visible(caller).where(WebhookSubscription.id == subscription_id)).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def list_subscriptions(*, caller: Caller) -> list[WebhookSubscription]:
    return list(db.session.execute(_visible(caller).order_by(WebhookSubscription.id)).scalars())


def _check_owner(session, caller: Caller, city_id: int | None, town_id: int | None) -> None:
    if (city_id is None) == (town_id is None):
        raise InvalidInput(errors={"town_id": ["请指定市或镇之一。"]})
    owner = session.get(City, city_id) if city_id is not None else session.get(Town, town_id)
    if owner is None or not oversees(caller, city_id=city_id, town_id=town_id):
        raise NotFound()


def create_subscription(
    *,
    caller: Caller,
    url: str,
    event_types: list[str],
    description: str,
    city_id: int | None,
    town_id: int | None,
    claim: Claim | None = None,
) -> SubscriptionWithSecret:
    """A subscription of a town or city the caller manages; its signing secret is shown this once."""
    require_role(caller, *MANAGERS)
    secret = _new_secret()
    with claimed_transaction(claim) as session:
        _check_owner(session, caller, city_id, town_id)
        subscription = WebhookSubscription(
            city_id=city_id,
            town_id=town_id,
            url=url,
            description=description,
            event_types=sorted(set(event_types)),
            secret_cipher=get_keyring().encrypt(secret),
            is_active=True,
            created_by_id=caller.user_id or None,
        )
        session.add(subscription)
        session.flush()
        record_audit(
            session,
            actor=caller,
            action="webhook_subscription.create",
            entity=subscription,
            after={"url": url, "event_types": subscription.event_types},
        )
    return SubscriptionWithSecret(subscription, secret)


def update_subscription(*, caller: Caller, subscription: WebhookSubscription, changes: dict) -> WebhookSubscription:
    with write_transaction() as session:
        subscription = session.merge(subscription)
        before = {"url": subscription.url, "event_types": subscription.event_types, "is_active": subscription.is_active}
        for key, value in changes.items():
            setattr(subscription, key, sorted(set(value)) if key == "event_types" else value)
        after = {"url": subscription.url, "event_types": subscription.event_types, "is_active": subscription.is_active}
        record_audit(
            session, actor=caller, action="webhook_subscription.update", entity=subscription, before=before, after=after
        )
        return subscription


def rotate_subscription_secret(*, caller: Caller, subscription: WebhookSubscription) -> SubscriptionWithSecret:
    """A new signing secret, shown once; deliveries from now on are signed with it."""
    secret = _new_secret()
    with write_transaction() as session:
        subscription = session.merge(subscription)
        subscription.secret_cipher = get_keyring().encrypt(secret)
        record_audit(session, actor=caller, action="webhook_subscription.rotate_secret", entity=subscription)
    return SubscriptionWithSecret(subscription, secret)


def list_deliveries(*, caller: Caller, subscription: WebhookSubscription, limit: int, cursor: str | None) -> dict:
    """The delivery log of one subscription, newest first: event, attempt, status, error, time taken."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    return paginate(stmt, WebhookDelivery.id, limit=limit, cursor=cursor)


def redeliver(*, caller: Caller, subscription: WebhookSubscription, outbox_message_id: int) -> OutboxMessage:
    """Send one event of this subscription again (delivered or given up on), under the same webhook-id."""
    with write_transaction() as session:
        message = session.execute(
            select(OutboxMessage).where(OutboxMessage.id == outbox_message_id).with_for_update()
        ).scalar_one_or_none()
        if message is None or message.kind != "webhook" or message.payload.get("subscription_id") != subscription.id:
            raise NotFound()
        if message.status == "pending":
            return message  # already on its way
        requeue_message(session, message)
        record_audit(
            session,
            actor=caller,
            action="webhook.redeliver",
            entity=message,
            after={"webhook_id": message.message_id, "subscription_id": subscription.id},
        )
        return message
