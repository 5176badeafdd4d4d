"""Outbound webhooks: subscriptions of towns and cities, their delivery log, and manual redelivery."""

from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates

from backend.api.auth_hooks import signed_in
from backend.api.common import InSchema, OutSchema, PageArgs, page_schema
from backend.api.idempotency import idempotent
from backend.models.webhooks import WEBHOOK_EVENT_TYPES
from backend.services.webhooks import subscriptions
from backend.settings import current_settings

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1", description="事件推送（Webhook，Standard Webhooks 签名）")

EVENT_TYPE = validate.OneOf(WEBHOOK_EVENT_TYPES)


class SubscriptionOut(OutSchema):
    id = fields.Integer()
    city_id = fields.Integer(allow_none=True)
    town_id = fields.Integer(allow_none=True)
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class SubscriptionSecretOut(OutSchema):
    subscription = fields.Nested(SubscriptionOut)
    secret = fields.String(metadata={"description": "whsec_...: shown once; verify webhook-signature with it"})


class _UrlMixin(InSchema):
    @validates("url")
    def _https_in_production(self, value: str, **_):
        if current_settings().app_env == "production" and not value.startswith("https://"):
            raise ValidationError("生产环境的推送地址须为 https。")


class SubscriptionIn(_UrlMixin):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=500))
    event_types = fields.List(fields.String(validate=EVENT_TYPE), required=True, validate=validate.Length(min=1))
    description = fields.String(load_default="", validate=validate.Length(max=100))
    city_id = fields.Integer(load_default=None, strict=True)
    town_id = fields.Integer(load_default=None, strict=True)


class SubscriptionPatch(_UrlMixin):
    url = fields.Url(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=500))
    event_types = fields.List(fields.String(validate=EVENT_TYPE), validate=validate.Length(min=1))
    description = fields.String(validate=validate.Length(max=100))
    is_active = fields.Boolean()


class DeliveryOut(OutSchema):
    id = fields.Integer()
    outbox_message_id = fields.Integer()
    webhook_id = fields.String()
    event_type = fields.String()
    attempt = fields.Integer()
    status_code = fields.Integer(allow_none=True)
    ok = fields.Boolean()
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class RedeliveryOut(OutSchema):
    outbox_message_id = fields.Integer(attribute="id")
    webhook_id = fields.String(attribute="message_id")
    status = fields.String()


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
