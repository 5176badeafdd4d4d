"""Read-side of the people aggregate: scoped lists."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEntry, City, Household, Town, Village, Villager
from backend.services.access import (
    STAFF_ROLES,
    Caller,
    get_scoped_or_404,
    require_role,
    scope,
    scope_towns,
    town_ids_in_scope,
)
from backend.services.audit import record_personal_read
from backend.services.paging import paginate
from backend.services.people.personal_data import id_number_index


def list_cities(*, caller: Caller) -> list[City]:
    require_role(caller, "city_admin", "admin")
    stmt = select(City).order_by(City.code)
    if caller.role == "city_admin":
        stmt = stmt.where(City.id == caller.city_id)
    return db.session.execute(stmt).scalars().all()


def list_towns(*, caller: Caller) -> list[Town]:
    require_role(caller, "town_admin", "city_admin", "admin")
    return db.session.execute(scope_towns(select(Town).order_by(Town.code), caller)).scalars().all()


def list_villages(*, caller: Caller) -> list[Village]:
    require_role(caller, *STAFF_ROLES, "city_admin")
    return db.session.execute(scope(select(Village).order_by(Village.code), Village, caller)).scalars().all()


def list_households(*, caller: Caller, village_id: int | None, limit: int, cursor: str | None) -> dict:
    require_role(caller, *STAFF_ROLES)
    stmt = scope(select(Household), Household, caller)
    if village_id is not None:
        stmt = stmt.where(Household.village_id == village_id)
    return paginate(stmt, Household.id, limit=limit, cursor=cursor, newest_first=False)


def list_villagers(*, caller: Caller, village_id: int | None, q: str | None, limit: int, cursor: str | None) -> dict:
    """Roster entries the caller may see; `q` matches a name fragment or a whole ID number."""
    require_role(caller, *STAFF_ROLES)
    stmt = scope(select(Villager), Villager, caller)
    if village_id is not None:
        stmt = stmt.where(Villager.village_id == village_id)
    if q:
        q = q.strip()
        if len(q) >= 15 and q[:-1].isdigit():
            stmt = stmt.where(Villager.id_number_index == id_number_index(q.upper()))
        else:
            stmt = stmt.where(Villager.name.contains(q))
    return paginate(stmt, Villager.id, limit=limit, cursor=cursor, newest_first=False)


def list_audit(*, caller: Caller, village_id: int | None, limit: int, cursor: str | None) -> dict:
    """Audit entries of the caller's villages (town admins also see their town's own entries)."""
    require_role(caller, *STAFF_ROLES, "city_admin")
    stmt = select(AuditEntry)
    if caller.role in ("town_admin", "city_admin"):
        towns = town_ids_in_scope(caller)
        towns_villages = select(Village.id).where(Village.town_id.in_(towns))
        stmt = stmt.where(AuditEntry.village_id.in_(towns_villages) | AuditEntry.town_id.in_(towns))
    elif caller.role == "committee":
        stmt = stmt.where(AuditEntry.village_id == caller.village_id)
    if village_id is not None:
        stmt = stmt.where(AuditEntry.village_id == village_id)
    return paginate(stmt, AuditEntry.id, limit=limit, cursor=cursor)


def read_villager(*, caller: Caller, villager_id: int, action: str = "villager.read") -> Villager:
    """One roster entry the caller may see; the read itself is audited (the villager sees it in their export)."""
    villager = get_scoped_or_404(Villager, villager_id, caller)
    record_personal_read(actor=caller, action=action, villager_id=villager.id, village_id=villager.village_id)
    return villager
