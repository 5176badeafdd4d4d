"""Outbound webhooks: subscriptions of towns and cities, their delivery log, and manual redelivery."""

from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import PageArgs, page_schema
from backend.api.idempotency import idempotent
from backend.api.partners.schemas import (
    DeliveryOut,
    RedeliveryOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionSecretOut,
)
from backend.services.webhooks import subscriptions

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1", description="事件推送（Webhook，Standard Webhooks 签名）")


@blp.get("/webhook-subscriptions")
@blp.response(200, SubscriptionOut(many=True))
@signed_in(*subscriptions.MANAGERS)
def list_subscriptions(caller):
    """Subscriptions of the caller's town (a city admin: of the city and its towns)."""
    return subscriptions.list_subscriptions(caller=caller)


@blp.post("/webhook-subscriptions")
@idempotent
@blp.arguments(SubscriptionIn)
@blp.response(201, SubscriptionSecretOut)
@signed_in(*subscriptions.MANAGERS)
def create_subscription(args, caller, claim):
    """Send these event types of a town's (or city's) villages to `url`, signed per Standard Webhooks with the
    secret in the answer (shown once); retried with backoff until the receiver answers 2xx."""
    return subscriptions.create_subscription(caller=caller, claim=claim, **args)


@blp.get("/webhook-subscriptions/<int:subscription_id>")
@blp.response(200, SubscriptionOut)
@signed_in(*subscriptions.MANAGERS)
def get_subscription(subscription_id, caller):
    return subscriptions.get_subscription(caller=caller, subscription_id=subscription_id)


@blp.patch("/webhook-subscriptions/<int:subscription_id>")
@blp.arguments(SubscriptionPatch)
@blp.response(200, SubscriptionOut)
@signed_in(*subscriptions.MANAGERS)
def update_subscription(args, subscription_id, caller):
    subscription = subscriptions.get_subscription(caller=caller, subscription_id=subscription_id)
    return subscriptions.update_subscription(caller=caller, subscription=subscription, changes=args)


@blp.post("/webhook-subscriptions/<int:subscription_id>/secret")
@blp.response(200, SubscriptionSecretOut)
@signed_in(*subscriptions.MANAGERS)
def rotate_secret(subscription_id, caller):
    """A new signing secret, shown once."""
    subscription = subscriptions.get_subscription(caller=caller, subscription_id=subscription_id)
    return subscriptions.rotate_subscription_secret(caller=caller, subscription=subscription)


@blp.get("/webhook-subscriptions/<int:subscription_id>/deliveries")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(DeliveryOut, "WebhookDeliveryPage"))
@signed_in(*subscriptions.MANAGERS)
def list_deliveries(args, subscription_id, caller):
    """Every attempt, newest first: event, webhook-id, status code or error, time taken."""
    subscription = subscriptions.get_subscription(caller=caller, subscription_id=subscription_id)
    return subscriptions.list_deliveries(caller=caller, subscription=subscription, **args)


@blp.post("/webhook-subscriptions/<int:subscription_id>/messages/<int:outbox_message_id>/redeliver")
@blp.response(200, RedeliveryOut)
@signed_in(*subscriptions.MANAGERS)
def redeliver(subscription_id, outbox_message_id, caller):
    """Send one event again (delivered or given up on) with the same webhook-id; receivers deduplicate on it."""
    subscription = subscriptions.get_subscription(caller=caller, subscription_id=subscription_id)
    return subscriptions.redeliver(caller=caller, subscription=subscription, outbox_message_id=outbox_message_id)
