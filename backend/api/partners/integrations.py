"""The governance platform's signed events, the committee's review of those that need one, and each village's
mapping of event types to activities."""

from flask import request
from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.partners.schemas import (
    EventApproveIn,
    EventMappingOut,
    EventMappingsIn,
    EventRejectIn,
    InboundEventOut,
    InboundListArgs,
)
from backend.api.ratelimit import limiter
from backend.models import InboundEvent
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.partners import event_mappings, inbound
from backend.settings import current_settings

blp = Blueprint("integrations", __name__, url_prefix="/api/v1", description="基层治理平台：签名事件接入")

EVENT_EXAMPLE = {
    "type": "volunteer.recorded",
    "village_code": "QT01",
    "occurred_on": "2026-11-20",
    "person": {"id_number": "33028219800517001X"},
    "data": {"hours": 3, "title": "河道清理"},
}


def _integration_limit() -> str:
    return current_settings().integration_rate_limit


@blp.post("/integrations/events")
@limiter.limit(_integration_limit)
@blp.doc(
    security=[],
    parameters=[
        {"in": "header", "name": name, "required": True, "schema": {"type": "string"}}
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    ],
    requestBody={"content": {"application/json": {"schema": {"type": "object"}, "example": EVENT_EXAMPLE}}},
)
@blp.response(200, InboundEventOut)
def receive_event():
    """An event signed per Standard Webhooks (HMAC-SHA256 over id, timestamp and body; 5-minute window).

    The village's mapping turns its `type` into an activity: booked at once, or waiting for the committee when the
    rule lets a reviewer choose the amount. The same `webhook-id` again gets the first answer
    (`Idempotent-Replayed: true`). Refused and audited, nothing booked: 400 missing headers, 401 bad signature or
    timestamp outside the window, 422 bad body, unknown village or person, unmapped type; 409 same id, other body.
    """
    received = inbound.receive_event(body=request.get_data(), headers=dict(request.headers))
    headers = {"Idempotent-Replayed": "true"} if received.replayed else {}
    return received.event, 200, headers


@blp.get("/integration-events")
@blp.arguments(InboundListArgs, location="query")
@blp.response(200, page_schema(InboundEventOut, "InboundEventPage"))
@signed_in(*STAFF_ROLES)
def list_events(args, caller):
    """Events from the platform in the caller's villages (`status=pending_review`: the review queue)."""
    return inbound.list_inbound_events(caller=caller, **args)


@blp.post("/integration-events/<int:inbound_event_id>/approve")
@blp.arguments(EventApproveIn)
@blp.response(200, InboundEventOut)
@signed_in("committee")
def approve_event(args, inbound_event_id, caller):
    """Book the event with the amount chosen within its rule's range (its default when none is given)."""
    event = get_scoped_or_404(InboundEvent, inbound_event_id, caller)
    return inbound.decide_inbound_event(caller=caller, inbound=event, approve=True, amount=args["amount"], reason=None)


@blp.post("/integration-events/<int:inbound_event_id>/reject")
@blp.arguments(EventRejectIn)
@blp.response(200, InboundEventOut)
@signed_in("committee")
def reject_event(args, inbound_event_id, caller):
    event = get_scoped_or_404(InboundEvent, inbound_event_id, caller)
    return inbound.decide_inbound_event(caller=caller, inbound=event, approve=False, amount=None, reason=args["reason"])


@blp.get("/villages/<int:village_id>/event-mappings")
@blp.response(200, EventMappingOut(many=True))
@signed_in(*STAFF_ROLES)
def list_mappings(village_id, caller):
    """Which platform event type counts as which activity here, with which facts."""
    return event_mappings.list_event_mappings(caller=caller, village_id=village_id)


@blp.put("/villages/<int:village_id>/event-mappings")
@blp.arguments(EventMappingsIn)
@blp.response(200, EventMappingOut(many=True))
@signed_in(*STAFF_ROLES)
def replace_mappings(args, village_id, caller):
    """Replace the village's whole mapping (audited)."""
    return event_mappings.replace_event_mappings(caller=caller, village_id=village_id, mappings=args["mappings"])
