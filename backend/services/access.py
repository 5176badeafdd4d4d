"""The one place that decides what a caller may see and do.

Every query of tenant data goes through `scope()`; a row outside the caller's scope is reported as 404, so that
its existence does not leak across villages.
"""

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from backend.errors import Forbidden, NotFound
from backend.extensions import db
from backend.models import Town, Village, Villager

STAFF_ROLES = ("committee", "town_admin", "admin")
# Who looks after many villages at once (dashboards, templates, partners); a city admin runs no village work.
SUPERVISORS = ("town_admin", "city_admin", "admin")


@dataclass(frozen=True)
class Caller:
    user_id: int
    role: str
    town_id: int | None = None
    village_id: int | None = None
    shop_id: int | None = None
    villager_id: int | None = None
    city_id: int | None = None

    @classmethod
    def of(cls, user) -> "Caller":
        return cls(
            user_id=user.id,
            role=user.role,
            town_id=user.town_id,
            village_id=user.village_id,
            shop_id=user.shop_id,
            villager_id=user.villager_id,
            city_id=user.city_id,
        )


class NotBound(Forbidden):
    """A villager's sign-in that is not yet linked to a roster entry (POST /me/binding links it)."""

    status, message = "not_bound", "请先绑定村民身份。"


def bound_villager(session: Session, caller: Caller, *, lock: bool = False) -> Villager:
    """The roster entry behind a villager's sign-in, or NotBound; `lock` serialises this villager's writes."""
    if caller.role != "villager" or caller.villager_id is None:
        raise NotBound()
    stmt = select(Villager).where(Villager.id == caller.villager_id)
    # NO KEY UPDATE: serialises this villager's writes, yet lets other transactions insert rows that point at the
    # villager (their foreign-key checks take KEY SHARE), e.g. a household badge paid to this household's head.
    return session.execute(stmt.with_for_update(key_share=True) if lock else stmt).scalar_one()


def require_role(caller: Caller, *roles: str) -> None:
    """Refuse (403) a caller whose role is not one of `roles`."""
    if caller.role not in roles:
        raise Forbidden()


def village_ids_in_scope(caller: Caller) -> Select | list[int] | None:
    """None means every village (admin); otherwise the villages this caller may see."""
    if caller.role == "admin":
        return None
    if caller.role == "city_admin":
        if caller.city_id is None:  # `== None` would read as IS NULL: every town without a city
            return []
        return select(Village.id).join(Town, Town.id == Village.town_id).where(Town.city_id == caller.city_id)
    if caller.role == "town_admin":
        return select(Village.id).where(Village.town_id == caller.town_id)
    if caller.village_id is not None:
        return [caller.village_id]
    return []


def town_ids_in_scope(caller: Caller) -> Select | list[int] | None:
    """None means every town (admin); a city admin's towns, a town admin's own; nobody else sees towns."""
    if caller.role == "admin":
        return None
    if caller.role == "city_admin":
        return select(Town.id).where(Town.city_id == caller.city_id) if caller.city_id is not None else []
    if caller.role == "town_admin" and caller.town_id is not None:
        return [caller.town_id]
    return []


def scope_towns(stmt: Select, caller: Caller, column=Town.id) -> Select:
    """Restrict a select over towns (or rows owned by a town, through `column`) to the caller's towns."""
    towns = town_ids_in_scope(caller)
    return stmt if towns is None else stmt.where(column.in_(towns))


def scope(stmt: Select, model, caller: Caller) -> Select:
    """Restrict a select over a village-owned model to the caller's villages."""
    villages = village_ids_in_scope(caller)
    if villages is None:
        return stmt
    column = model.id if model is Village else model.village_id
    return stmt.where(column.in_(villages))


def get_scoped_or_404(model, object_id: int, caller: Caller):
    """Load one village-owned row the caller may see, or raise 404."""
    stmt = scope(select(model).where(model.id == object_id), model, caller)
    found = db.session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def check_village_in_scope(caller: Caller, village_id: int) -> Village:
    """The village itself, if the caller may act in it; 404 otherwise."""
    return get_scoped_or_404(Village, village_id, caller)


def oversees(caller: Caller, *, city_id: int | None = None, town_id: int | None = None) -> bool:
    """Whether the caller manages this city or town (things owned by one: templates, webhook subscriptions)."""
    if caller.role == "admin":
        return True
    if caller.role == "city_admin" and caller.city_id is not None:
        if city_id is not None:
            return city_id == caller.city_id
        town = db.session.get(Town, town_id) if town_id is not None else None
        return town is not None and town.city_id == caller.city_id
    return caller.role == "town_admin" and town_id is not None and town_id == caller.town_id


def check_town_in_scope(caller: Caller, town_id: int) -> Town:
    """The town itself, if the caller oversees it; 404 otherwise."""
    found = db.session.execute(scope_towns(select(Town).where(Town.id == town_id), caller)).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found
