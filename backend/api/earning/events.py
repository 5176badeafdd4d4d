"""Scan activities: events, their rotating check-in QR code, check-ins and attendance."""

import io

from flask import send_file
from flask_smorest import Blueprint

from backend.adapters.qr import qr_png
from backend.api.auth_hooks import signed_in
from backend.api.common import PageArgs, page_schema
from backend.api.earning.activities import ANYONE
from backend.api.earning.schemas import (
    CheckInIn,
    CheckInOut,
    CheckInResultOut,
    ConfirmedOut,
    ConfirmIn,
    EventIn,
    EventOut,
    ListArgs,
    QrOut,
)
from backend.api.idempotency import idempotent
from backend.models import Event
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.earning import events

blp = Blueprint("events", __name__, url_prefix="/api/v1", description="扫一扫：活动签到")


@blp.post("/events")
@blp.arguments(EventIn)
@blp.response(201, EventOut)
@signed_in(*STAFF_ROLES)
def create_event(args, caller):
    return events.create_event(caller=caller, **args)


@blp.get("/events")
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(EventOut, "EventPage"))
@signed_in(*ANYONE)
def list_events(args, caller):
    """Villagers: their village's events that have not ended. Staff: all events (optionally of one village)."""
    return events.list_events(caller=caller, **args)


@blp.get("/events/<int:event_id>")
@blp.response(200, EventOut)
@signed_in(*ANYONE)
def get_event(event_id, caller):
    return get_scoped_or_404(Event, event_id, caller)


@blp.get("/events/<int:event_id>/qr")
@blp.response(200, QrOut)
@signed_in(*STAFF_ROLES)
def event_qr(event_id, caller):
    """The current check-in code and the seconds until it rotates (every 30 s)."""
    return events.current_code(get_scoped_or_404(Event, event_id, caller))


@blp.get("/events/<int:event_id>/qr.png")
@blp.response(200, content_type="image/png")
@signed_in(*STAFF_ROLES)
def event_qr_png(event_id, caller):
    """The current check-in code as a PNG, for a screen at the venue (refresh it every few seconds)."""
    code = events.current_code(get_scoped_or_404(Event, event_id, caller))
    response = send_file(io.BytesIO(qr_png(code["qr_text"], box_size=12)), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.post("/events/<int:event_id>/check-ins")
@idempotent(required=False)
@blp.arguments(CheckInIn)
@blp.response(201, CheckInResultOut)
@signed_in("villager")
def check_in(args, event_id, caller, claim):
    """Check in with the scanned code (and the phone's location for a geofenced event); books the points."""
    event = get_scoped_or_404(Event, event_id, caller)
    return events.check_in(caller=caller, event=event, claim=claim, **args)


@blp.get("/events/<int:event_id>/check-ins")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(CheckInOut, "CheckInPage"))
@signed_in(*STAFF_ROLES)
def list_check_ins(args, event_id, caller):
    return events.list_check_ins(caller=caller, event=get_scoped_or_404(Event, event_id, caller), **args)


@blp.post("/events/<int:event_id>/attendance/confirm")
@blp.arguments(ConfirmIn)
@blp.response(200, ConfirmedOut(many=True))
@signed_in(*STAFF_ROLES)
def confirm_attendance(args, event_id, caller):
    """Confirm checked-in villagers attended; events awarding on confirmation book their points now."""
    event = get_scoped_or_404(Event, event_id, caller)
    return events.confirm_attendance(caller=caller, event=event, villager_ids=args["villager_ids"])
