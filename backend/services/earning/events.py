"""Events and scan check-in (扫一扫): a QR code that rotates every 30 s, geofence, capacity, attendance."""

import hashlib
import hmac
import math
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, Gone, InvalidInput
from backend.extensions import db
from backend.models import Event, EventCheckIn, Villager
from backend.services.access import STAFF_ROLES, Caller, bound_villager, check_village_in_scope, require_role, scope
from backend.services.audit import record_audit, snapshot
from backend.services.earning.awards import award_points
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.paging import paginate

WINDOW_SECONDS = 30
CHECK_IN_OPENS_EARLY = timedelta(minutes=30)
# How far back a code is still recognised as this event's (and reported as stale rather than invalid).
RECOGNISED_WINDOWS = 20
QR_PREFIX = "vcp:event"
EARTH_RADIUS_M = 6371008.8


class CheckInNotOpen(Conflict):
    status, message = "check_in_not_open", "签到尚未开始，活动开始前 30 分钟（%(opens_at)s）起可签到。"


class CheckInClosed(Conflict):
    status, message = "check_in_closed", "活动已于 %(ends_at)s 结束，签到已关闭。"


class QrCodeStale(Gone):
    status, message = "qr_code_stale", "二维码已过期，请扫描现场屏幕上最新的二维码。"


class QrCodeInvalid(InvalidInput):
    status, message = "qr_code_invalid", "这不是本活动的签到二维码。"


class LocationRequired(InvalidInput):
    status, message = "location_required", "本活动需要定位签到，请允许小程序获取位置后重新扫码。"


class OutsideGeofence(Forbidden):
    status, message = "outside_geofence", "您距活动地点约 %(distance)s 米，须在 %(radius)s 米内才能签到。"


class EventFull(Conflict):
    status, message = "event_full", "活动名额（%(capacity)s 人）已满。"


class AlreadyCheckedIn(Conflict):
    status, message = "already_checked_in", "您已签到过本活动，无需重复签到。"


class NotCheckedIn(InvalidInput):
    status, message = "not_checked_in", "只能确认已扫码签到的村民。"


# --- the rotating code: a pure function of the event's secret and the 30-second window --------------------


def time_window(moment: datetime) -> int:
    """The number of the 30-second window containing a naive-UTC moment."""
    return int(moment.replace(tzinfo=UTC).timestamp()) // WINDOW_SECONDS


def window_token(event: Event, window: int) -> str:
    """HMAC-SHA256(secret, "event_id:window"), truncated to 16 hex digits (64 bits)."""
    mac = hmac.new(event.qr_secret.encode(), f"{event.id}:{window}".encode(), hashlib.sha256)
    return mac.hexdigest()[:16]


def current_code(event: Event) -> dict:
    """The code to show now, what the QR encodes, and the seconds until it changes."""
    now = clock.now()
    window = time_window(now)
    token = window_token(event, window)
    left = WINDOW_SECONDS - int(now.replace(tzinfo=UTC).timestamp()) % WINDOW_SECONDS
    return {"token": token, "qr_text": f"{QR_PREFIX}:{event.id}:{token}", "seconds_left": left}


def _check_token(event: Event, scanned: str) -> None:
    parts = scanned.strip().split(":")
    if len(parts) > 1 and (":".join(parts[:-1]) != f"{QR_PREFIX}:{event.id}"):
        raise QrCodeInvalid()
    token = parts[-1]
    window = time_window(clock.now())
    # The current and the previous window: a code scanned just before it rotated still counts.
    if any(hmac.compare_digest(token, window_token(event, w)) for w in (window, window - 1)):
        return
    if any(hmac.compare_digest(token, window_token(event, window - back)) for back in range(2, RECOGNISED_WINDOWS)):
        raise QrCodeStale()
    raise QrCodeInvalid()


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


# --- committee ------------------------------------------------------------------------------------------


def create_event(*, caller: Caller, village_id: int, **fields) -> Event:
    """An event with its check-in window, optional geofence and capacity, and when points are booked."""
    require_role(caller, *STAFF_ROLES)
    if fields["ends_at"] <= fields["starts_at"]:
        raise InvalidInput(errors={"ends_at": ["结束时间须晚于开始时间"]})
    fence = [fields.get("latitude"), fields.get("longitude"), fields.get("radius_m")]
    if any(v is not None for v in fence) and any(v is None for v in fence):
        raise InvalidInput(errors={"radius_m": ["定位签到须同时填写纬度、经度和半径"]})
    with write_transaction() as session:
        check_village_in_scope(caller, village_id)
        event = Event(
            village_id=village_id, qr_secret=secrets.token_hex(32), created_by_id=caller.user_id or None, **fields
        )
        session.add(event)
        after = snapshot(event)
        after.pop("qr_secret", None)
        record_audit(session, actor=caller, action="event.create", entity=event, after=after)
        return event


def list_events(*, caller: Caller, village_id: int | None, limit: int, cursor: str | None) -> dict:
    """Villagers: their village's events not yet ended. Staff: every event they may see."""
    stmt = scope(select(Event), Event, caller)
    if caller.role == "villager":
        bound_villager(db.session, caller)
        stmt = stmt.where(Event.ends_at > clock.now())
    elif village_id is not None:
        stmt = stmt.where(Event.village_id == village_id)
    return paginate(stmt, Event.id, limit=limit, cursor=cursor)


def list_check_ins(*, caller: Caller, event: Event, limit: int, cursor: str | None) -> dict:
    require_role(caller, *STAFF_ROLES)
    stmt = select(EventCheckIn).where(EventCheckIn.event_id == event.id)
    return paginate(stmt, EventCheckIn.id, limit=limit, cursor=cursor, newest_first=False)


def confirm_attendance(*, caller: Caller, event: Event, villager_ids: list[int]) -> list[dict]:
    """Mark checked-in villagers as attended; for events that award on confirmation, book their points."""
    require_role(caller, *STAFF_ROLES)
    with write_transaction() as session:
        event = session.execute(select(Event).where(Event.id == event.id).with_for_update()).scalar_one()
        if clock.now() < event.starts_at:
            raise Conflict("活动尚未开始，不能确认出勤。")
        check_ins = {
            row.villager_id: row
            for row in session.execute(
                select(EventCheckIn).where(
                    EventCheckIn.event_id == event.id, EventCheckIn.villager_id.in_(villager_ids)
                )
            ).scalars()
        }
        missing = sorted(set(villager_ids) - set(check_ins))
        if missing:
            raise NotCheckedIn(errors={"villager_ids": [f"村民 {vid} 未签到本活动" for vid in missing]})
        results = []
        for villager_id in sorted(set(villager_ids)):
            check_in = check_ins[villager_id]
            if check_in.confirmed_at is None:
                check_in.confirmed_at, check_in.confirmed_by_id = clock.now(), caller.user_id or None
            award = _award(session, event, check_in, actor_id=caller.user_id or None)
            results.append({"villager_id": villager_id, "points": award.amount, "explanation": award.explanation})
        record_audit(
            session,
            actor=caller,
            action="event.confirm_attendance",
            entity=event,
            after={"villager_ids": villager_ids},
        )
        return results


# --- villager -------------------------------------------------------------------------------------------


def check_in(
    *,
    caller: Caller,
    event: Event,
    token: str,
    latitude: float | None,
    longitude: float | None,
    claim: Claim | None = None,
) -> dict:
    """Check in with the code scanned at the venue; refusals say why (time, code, place, duplicate, full)."""
    with claimed_transaction(claim) as session:
        # Capacity is counted under the event's row lock, so the last seat goes to one person only. Locks are
        # taken event first, then villager, as attendance confirmation does.
        event = session.execute(select(Event).where(Event.id == event.id).with_for_update()).scalar_one()
        villager = bound_villager(session, caller, lock=True)
        now = clock.now()
        if now < event.starts_at - CHECK_IN_OPENS_EARLY:
            raise CheckInNotOpen(opens_at=_moment(event.starts_at - CHECK_IN_OPENS_EARLY))
        if now > event.ends_at:
            raise CheckInClosed(ends_at=_moment(event.ends_at))
        _check_token(event, token)
        if event.radius_m is not None:
            if latitude is None or longitude is None:
                raise LocationRequired(errors={"latitude": ["需要定位"], "longitude": ["需要定位"]})
            distance = distance_m(event.latitude, event.longitude, latitude, longitude)
            if distance > event.radius_m:
                raise OutsideGeofence(distance=round(distance), radius=event.radius_m)
        existing = session.execute(
            select(EventCheckIn.id).where(EventCheckIn.event_id == event.id, EventCheckIn.villager_id == villager.id)
        ).first()
        if existing is not None:
            raise AlreadyCheckedIn()
        if event.capacity is not None:
            taken = session.execute(
                select(func.count()).select_from(EventCheckIn).where(EventCheckIn.event_id == event.id)
            ).scalar_one()
            if taken >= event.capacity:
                raise EventFull(capacity=event.capacity)
        row = EventCheckIn(
            village_id=event.village_id,
            event_id=event.id,
            villager_id=villager.id,
            checked_in_at=now,
            latitude=latitude,
            longitude=longitude,
        )
        session.add(row)
        session.flush()
        result = {"check_in_id": row.id, "event_id": event.id, "award_at": event.award_at, "points": 0}
        if event.award_at == "check_in":
            award = _award(session, event, row)
            result.update(points=award.amount, explanation=award.explanation)
        else:
            result["explanation"] = "签到成功，村委会确认出勤后发放积分"
        return result


def _award(session, event: Event, row: EventCheckIn, actor_id: int | None = None):
    villager = session.get(Villager, row.villager_id)
    return award_points(
        session,
        villager=villager,
        activity_type="checkin",
        facts={"event.kind": event.kind, "event.hours": event.hours, "event.date": clock.local_date(event.starts_at)},
        # Scored under the rules in force on the event's day, whenever attendance is confirmed.
        on=clock.local_date(event.starts_at),
        source_type="event_check_in",
        source_id=row.id,
        idempotency_key=f"event:{event.id}:villager:{villager.id}",
        actor_id=actor_id,
    )


def _moment(value: datetime) -> str:
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M")
