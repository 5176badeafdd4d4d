"""Signed events from the governance platform (基层治理四平台): verified, mapped, and booked once.

Each event is signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256 over
id, timestamp and body, five minutes either way) and kept once per id. The village's mapping turns its type into an
activity; the points rule in force decides: a rule whose amount a reviewer chooses makes a claim for the committee,
any other rule books the award at once (0 points, with the reason, when capped or no rule matches). A refusal (bad
signature, old timestamp, unknown village or person, unmapped type) writes nothing but its audit entry.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from backend import clock
from backend.database import write_transaction
from backend.errors import BadRequest, Conflict, Forbidden, InvalidInput, Unauthorized
from backend.extensions import db
from backend.models import EventMapping, InboundEvent, Village, Villager
from backend.rules import match_rule, villager_facts
from backend.services.access import STAFF_ROLES, Caller, require_role, scope
from backend.services.audit import Subject, record_audit
from backend.services.earning import award_points
from backend.services.paging import paginate
from backend.services.people import id_number_index
from backend.services.rulesets import compiled_rule_set, get_rule_set_in_force
from backend.settings import current_settings

REVIEWED_EFFECTS = ("range",)  # the reviewer picks the amount: such events wait for the committee


class WebhookHeadersMissing(BadRequest):
    status, message = "webhook_headers_missing", "缺少 webhook-id、webhook-timestamp 或 webhook-signature 请求头。"


class WebhookSignatureInvalid(Unauthorized):
    status, message = "webhook_signature_invalid", "事件签名无效。"


class WebhookTimestampOutOfWindow(Unauthorized):
    status, message = "webhook_timestamp_out_of_window", "事件时间戳超出 5 分钟有效窗口（过旧或过新），已拒收。"


class EventBodyInvalid(InvalidInput):
    status, message = "event_invalid", "事件内容有误，请检查标出的字段。"


class UnknownVillage(InvalidInput):
    status, message = "unknown_village", "没有编码为 %(code)s 的村。"


class UnknownPerson(InvalidInput):
    status, message = "unknown_person", "该村花名册中没有这位村民。"


class UnmappedEventType(InvalidInput):
    status, message = "unmapped_event_type", "本村没有为事件类型 %(event_type)s 配置对应的活动，未记分。"


class AlreadyDecided(Conflict):
    status, message = "already_decided", "该事件已处理，不能重复审核。"


class OwnRecord(Forbidden):
    status, message = "own_record", "不能审核本人的事件，请由其他村委成员审核。"


class EventIdReused(Conflict):
    status, message = "event_id_reused", "该事件编号已用于另一条内容不同的事件。"


@dataclass(frozen=True)
class Received:
    event: InboundEvent
    replayed: bool


def _secrets() -> list[str]:
    return list(current_settings().governance_webhook_secrets)


def verify_signature(body: bytes, headers: dict) -> None:
    """Standard Webhooks verification against any configured secret (several while one is being rotated)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    if not all(lowered.get(name) for name in ("webhook-id", "webhook-timestamp", "webhook-signature")):
        raise WebhookHeadersMissing()
    last = WebhookSignatureInvalid()
    for secret in _secrets():
        try:
            Webhook(secret).verify(body, lowered, json_parse=False)
            return
        except WebhookVerificationError as error:
            if "timestamp" in str(error).lower():
                raise WebhookTimestampOutOfWindow() from None
            last = WebhookSignatureInvalid()
        except (ValueError, TypeError):  # a malformed signature header ("v1" without a comma, bad base64)
            last = WebhookSignatureInvalid()
    raise last


def _parse(body: bytes) -> dict:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise EventBodyInvalid(errors={"body": ["不是有效的 JSON。"]}) from None
    errors = {}
    if not isinstance(event, dict):
        raise EventBodyInvalid(errors={"body": ["应为 JSON 对象。"]})
    for field in ("type", "village_code"):
        if not isinstance(event.get(field), str) or not event[field].strip():
            errors[field] = ["缺少必填字段。"]
    try:
        event["occurred_on"] = date.fromisoformat(str(event.get("occurred_on")))
        if event["occurred_on"] > clock.today():
            errors["occurred_on"] = ["不能是将来的日期。"]
    except ValueError:
        errors["occurred_on"] = ["应为日期，如 2026-11-20。"]
    person = event.get("person")
    if not isinstance(person, dict) or not isinstance(person.get("id_number"), str):
        errors["person"] = ['应为 {"id_number": "..."}。']
    if not isinstance(event.get("data", {}), dict):
        errors["data"] = ["应为 JSON 对象。"]
    if errors:
        raise EventBodyInvalid(errors=errors)
    return event


def _audited(error, *, event_id: str, event_type: str | None, village_id: int | None = None):
    """Audit a refused event (never its personal numbers) and return the error to raise."""
    with write_transaction() as session:
        record_audit(
            session,
            actor=None,
            action="integration.refused",
            # Nothing of the event is stored, so the entry names the table and no row.
            entity=Subject("inbound_events", village_id=village_id),
            after={"event_id": event_id[:128], "type": event_type, "refusal": error.status},
            village_id=village_id,
        )
    return error


def receive_event(*, body: bytes, headers: dict) -> Received:
    """Verify, map and book one platform event; a redelivery of the same id returns the first result."""
    event_id = str({k.lower(): v for k, v in headers.items()}.get("webhook-id") or "")
    try:
        verify_signature(body, headers)
        event = _parse(body)
    except (WebhookHeadersMissing, WebhookSignatureInvalid, WebhookTimestampOutOfWindow, EventBodyInvalid) as error:
        raise _audited(error, event_id=event_id, event_type=None) from None
    fingerprint = hashlib.sha256(body).hexdigest()
    kind = event["type"]
    earlier = db.session.execute(select(InboundEvent).where(InboundEvent.event_id == event_id)).scalar_one_or_none()
    if earlier is not None:
        return _replay(earlier, fingerprint)
    village = db.session.execute(select(Village).where(Village.code == event["village_code"])).scalar_one_or_none()
    if village is None:
        raise _audited(UnknownVillage(code=event["village_code"][:16]), event_id=event_id, event_type=kind)
    mapping = db.session.execute(
        select(EventMapping).where(EventMapping.village_id == village.id, EventMapping.event_type == kind)
    ).scalar_one_or_none()
    if mapping is None:
        unmapped = UnmappedEventType(event_type=kind[:64])
        raise _audited(unmapped, event_id=event_id, event_type=kind, village_id=village.id)
    villager = db.session.execute(
        select(Villager).where(
            Villager.village_id == village.id,
            Villager.id_number_index == id_number_index(event["person"]["id_number"].strip().upper()),
        )
    ).scalar_one_or_none()
    if villager is None:
        raise _audited(UnknownPerson(), event_id=event_id, event_type=kind, village_id=village.id)
    try:
        return Received(_book(event_id, fingerprint, event, mapping, villager), replayed=False)
    except IntegrityError:
        # The same event delivered twice at once: the other delivery booked it; answer as it did.
        db.session.rollback()
        earlier = db.session.execute(select(InboundEvent).where(InboundEvent.event_id == event_id)).scalar_one()
        return _replay(earlier, fingerprint)


def _replay(earlier: InboundEvent, fingerprint: str) -> Received:
    if earlier.fingerprint != fingerprint:
        raise _audited(EventIdReused(), event_id=earlier.event_id, event_type=None, village_id=earlier.village_id)
    return Received(earlier, replayed=True)


def _facts(mapping: EventMapping, data: dict) -> dict:
    facts = dict(mapping.facts or {})
    for fact, key in (mapping.fact_fields or {}).items():
        value = data.get(key)
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            facts[fact] = value
    return facts


def _book(event_id: str, fingerprint: str, event: dict, mapping: EventMapping, villager: Villager) -> InboundEvent:
    data = event.get("data") or {}
    facts = _facts(mapping, data)
    on = event["occurred_on"]
    with write_transaction() as session:
        inbound = InboundEvent(
            village_id=villager.village_id,
            event_id=event_id,
            fingerprint=fingerprint,
            event_type=event["type"],
            villager_id=villager.id,
            occurred_on=on,
            data=data,
            activity_type=mapping.activity_type,
            facts=facts,
            status="awarded",
        )
        session.add(inbound)
        session.flush()  # the unique event id: a concurrent twin fails here, before anything is booked
        rule = _rule_for(session, villager, mapping.activity_type, facts, on)
        if rule is not None and rule.effect["type"] in REVIEWED_EFFECTS:
            inbound.status, inbound.rule_code = "pending_review", rule.code
        else:
            _award(session, inbound, villager, amount=None, actor_id=None)
        record_audit(
            session,
            actor=None,
            action="integration.received",
            entity=inbound,
            after={
                "event_id": event_id,
                "type": inbound.event_type,
                "status": inbound.status,
                "points": inbound.points,
            },
        )
        return inbound


def _rule_for(session, villager: Villager, activity_type: str, facts: dict, on: date):
    rule_set = get_rule_set_in_force(session, village_id=villager.village_id, kind="points", on=on)
    if rule_set is None:
        return None
    all_facts = {**villager_facts(villager, on), **facts, "activity.type": activity_type}
    return match_rule(compiled_rule_set(rule_set), all_facts)


def _award(session, inbound: InboundEvent, villager: Villager, *, amount: int | None, actor_id: int | None):
    award = award_points(
        session,
        villager=villager,
        activity_type=inbound.activity_type,
        facts={**inbound.facts, "activity.approved": True},
        on=inbound.occurred_on,
        source_type="integration",
        source_id=inbound.id,
        idempotency_key=f"integration:{inbound.event_id}",
        amount_override=amount,
        actor_id=actor_id,
    )
    inbound.award_id, inbound.points = award.id, award.amount
    inbound.rule_code = award.rule_code or inbound.rule_code
    inbound.explanation = (award.explanation or award.reason or "")[:200] or None


def decide_inbound_event(
    *, caller: Caller, inbound: InboundEvent, approve: bool, amount: int | None, reason: str | None
) -> InboundEvent:
    """The committee decides an event waiting for review: book the chosen amount, or reject with a reason."""
    require_role(caller, "committee")
    with write_transaction() as session:
        inbound = session.execute(
            select(InboundEvent).where(InboundEvent.id == inbound.id).with_for_update()
        ).scalar_one()
        if inbound.status != "pending_review":
            raise AlreadyDecided()
        if caller.villager_id is not None and caller.villager_id == inbound.villager_id:
            raise OwnRecord()
        before = {"status": inbound.status}
        if approve:
            villager = session.get(Villager, inbound.villager_id)
            _award(session, inbound, villager, amount=amount, actor_id=caller.user_id)
            inbound.status = "approved"
        else:
            inbound.status, inbound.rejection_reason = "rejected", reason
        inbound.decided_by_id, inbound.decided_at = caller.user_id, clock.now()
        record_audit(
            session,
            actor=caller,
            action=f"integration.{inbound.status}",
            entity=inbound,
            before=before,
            after={"status": inbound.status, "points": inbound.points, "reason": reason},
        )
        return inbound


def list_inbound_events(
    *, caller: Caller, village_id: int | None, status: str | None, limit: int, cursor: str | None
) -> dict:
    """Events from the platform in the caller's villages, newest first."""
    require_role(caller, *STAFF_ROLES)
    stmt = scope(select(InboundEvent), InboundEvent, caller)
    if village_id is not None:
        stmt = stmt.where(InboundEvent.village_id == village_id)
    if status:
        stmt = stmt.where(InboundEvent.status == status)
    return paginate(stmt, InboundEvent.id, limit=limit, cursor=cursor)
