"""Delivering one webhook (the outbox handler of kind "webhook"): signed per Standard Webhooks, logged.

`webhook-id` is the outbox message id, the same across retries and manual redeliveries, so a receiver that saw it
already drops it. 2xx delivers; 410 Gone stops for good; anything else (other statuses, timeouts, refused
connections) is retried by the worker with backoff, then dead-lettered.
"""

import json
import time
from datetime import UTC, datetime

import requests
from standardwebhooks.webhooks import Webhook

from backend.database import write_transaction
from backend.extensions import db
from backend.models import WebhookDelivery, WebhookSubscription
from backend.services.outbox import Delivery, PermanentDeliveryError, RetryableDeliveryError
from backend.services.people import get_keyring
from backend.settings import current_settings


def signed_request(secret: str, webhook_id: str, body: str, *, at: datetime | None = None) -> dict:
    """The three Standard Webhooks headers for `body`."""
    moment = at or datetime.now(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, moment, body),
        "Content-Type": "application/json",
        "User-Agent": "village-credit-webhooks/1",
    }


def deliver_webhook(delivery: Delivery) -> None:
    """POST the event to its subscription's URL; raise for the worker to retry or give up."""
    subscription = db.session.get(WebhookSubscription, delivery.payload["subscription_id"])
    db.session.rollback()  # a handler holds no transaction open while it waits on the network
    if subscription is None or not subscription.is_active:
        raise PermanentDeliveryError("subscription removed or inactive")
    event = delivery.payload["event"]
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    secret = get_keyring().decrypt(subscription.secret_cipher)
    started = time.monotonic()
    status, error = None, None
    try:
        response = requests.post(
            subscription.url,
            data=body.encode(),
            headers=signed_request(secret, delivery.message_id, body),
            timeout=current_settings().webhook_timeout_seconds,
            allow_redirects=False,
        )
        status = response.status_code
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}"
    _log(delivery, subscription.id, event["type"], status, error, int((time.monotonic() - started) * 1000))
    if status is not None and 200 <= status < 300:
        return
    if status == 410:
        raise PermanentDeliveryError("410 Gone: the receiver no longer wants these events")
    raise RetryableDeliveryError(error or f"HTTP {status}")


def _log(delivery: Delivery, subscription_id: int, event_type: str, status, error, duration_ms: int) -> None:
    with write_transaction() as session:
        session.add(
            WebhookDelivery(
                subscription_id=subscription_id,
                outbox_message_id=delivery.id,
                webhook_id=delivery.message_id,
                event_type=event_type,
                attempt=delivery.attempt,
                status_code=status,
                ok=status is not None and 200 <= status < 300,
                error=error,
                duration_ms=duration_ms,
            )
        )
