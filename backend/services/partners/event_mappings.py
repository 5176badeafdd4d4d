"""Each village's mapping of the governance platform's event types to its own activities and facts."""

from sqlalchemy import delete, select

from backend.database import write_transaction
from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import EventMapping
from backend.rules import FACTS
from backend.rules.facts import ACTIVITY_TYPES
from backend.services.access import STAFF_ROLES, Caller, check_village_in_scope, require_role
from backend.services.audit import record_audit

# Facts an event may carry; the villager's own facts come from the roster, never from the platform.
EVENT_FACTS = tuple(code for code in FACTS if not code.startswith("villager.") and code != "activity.type")


def list_event_mappings(*, caller: Caller, village_id: int) -> list[EventMapping]:
    require_role(caller, *STAFF_ROLES)
    check_village_in_scope(caller, village_id)
    stmt = select(EventMapping).where(EventMapping.village_id == village_id).order_by(EventMapping.event_type)
    return list(db.session.execute(stmt).scalars())


def _check(mappings: list[dict]) -> None:
    errors: dict[str, dict] = {}
    seen: set[str] = set()
    for index, mapping in enumerate(mappings):
        problems = []
        if mapping["event_type"] in seen:
            problems.append("事件类型重复。")
        seen.add(mapping["event_type"])
        if mapping["activity_type"] not in ACTIVITY_TYPES:
            problems.append("活动类型应为 vote、lesson、checkin、speak、photo 或 manual。")
        unknown = (set(mapping["facts"]) | set(mapping["fact_fields"])) - set(EVENT_FACTS)
        if unknown:
            problems.append("只能使用事件类的事实（如 event.kind、event.hours、activity.subtype）。")
        if problems:
            errors[str(index)] = {"mapping": problems}
    if errors:
        raise InvalidInput(errors={"mappings": errors})


def replace_event_mappings(*, caller: Caller, village_id: int, mappings: list[dict]) -> list[EventMapping]:
    """The village's whole mapping, replaced at once; audited with before and after."""
    require_role(caller, *STAFF_ROLES)
    _check(mappings)
    with write_transaction() as session:
        village = check_village_in_scope(caller, village_id)
        existing = session.execute(select(EventMapping).where(EventMapping.village_id == village_id)).scalars().all()
        before = {m.event_type: m.activity_type for m in existing}
        session.execute(delete(EventMapping).where(EventMapping.village_id == village_id))
        made = [EventMapping(village_id=village_id, **mapping) for mapping in mappings]
        session.add_all(made)
        session.flush()
        record_audit(
            session,
            actor=caller,
            action="event_mapping.replace",
            entity=village,
            before=before,
            after={m.event_type: m.activity_type for m in made},
            village_id=village_id,
        )
        return sorted(made, key=lambda m: m.event_type)
