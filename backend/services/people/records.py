"""Towns, villages, households and roster entries, as staff edit them one at a time."""

from sqlalchemy import select

from backend.adapters.idcard import (
    id_number_birth_date,
    id_number_sex,
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
)
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import City, Household, Town, Village, Villager
from backend.services.access import Caller, check_village_in_scope, require_role
from backend.services.audit import record_audit, snapshot
from backend.services.people.personal_data import id_number_index, protect_id_number, protect_phone


def create_city(*, caller: Caller, code: str, name: str) -> City:
    require_role(caller, "admin")
    with write_transaction() as session:
        if session.execute(select(City).where(City.code == code)).scalar_one_or_none():
            raise Conflict("市编码 %(code)s 已存在。", code=code)
        city = City(code=code, name=name)
        session.add(city)
        record_audit(session, actor=caller, action="city.create", entity=city, after=snapshot(city))
        return city


def create_town(*, caller: Caller, code: str, name: str, city_id: int | None = None) -> Town:
    require_role(caller, "admin")
    with write_transaction() as session:
        if session.execute(select(Town).where(Town.code == code)).scalar_one_or_none():
            raise Conflict("镇编码 %(code)s 已存在。", code=code)
        if city_id is not None and session.get(City, city_id) is None:
            raise InvalidInput(errors={"city_id": ["市不存在。"]})
        town = Town(code=code, name=name, city_id=city_id)
        session.add(town)
        record_audit(session, actor=caller, action="town.create", entity=town, after=snapshot(town))
        return town


def create_village(*, caller: Caller, town_id: int, code: str, name: str) -> Village:
    require_role(caller, "admin", "town_admin")
    if caller.role == "town_admin" and town_id != caller.town_id:
        raise NotFound()
    with write_transaction() as session:
        if session.get(Town, town_id) is None:
            raise NotFound("镇不存在。")
        if session.execute(select(Village).where(Village.code == code)).scalar_one_or_none():
            raise Conflict("村编码 %(code)s 已存在。", code=code)
        village = Village(town_id=town_id, code=code, name=name)
        session.add(village)
        session.flush()
        record_audit(
            session,
            actor=caller,
            action="village.create",
            entity=village,
            after=snapshot(village),
            village_id=village.id,
        )
        return village


def update_village(*, caller: Caller, village: Village, changes: dict) -> Village:
    require_role(caller, "admin", "town_admin")
    with write_transaction() as session:
        village = session.merge(village)
        before = snapshot(village)
        for key, value in changes.items():
            setattr(village, key, value)
        record_audit(
            session,
            actor=caller,
            action="village.update",
            entity=village,
            before=before,
            after=snapshot(village),
            village_id=village.id,
        )
        return village


def create_household(*, caller: Caller, village_id: int, code: str, address: str | None = None) -> Household:
    with write_transaction() as session:
        check_village_in_scope(caller, village_id)
        exists = session.execute(
            select(Household).where(Household.village_id == village_id, Household.code == code)
        ).scalar_one_or_none()
        if exists:
            raise Conflict("户号 %(code)s 已存在。", code=code)
        household = Household(village_id=village_id, code=code, address=address)
        session.add(household)
        record_audit(session, actor=caller, action="household.create", entity=household, after=snapshot(household))
        return household


def update_household(*, caller: Caller, household: Household, changes: dict) -> Household:
    with write_transaction() as session:
        household = session.merge(household)
        before = snapshot(household)
        for key, value in changes.items():
            setattr(household, key, value)
        record_audit(
            session,
            actor=caller,
            action="household.update",
            entity=household,
            before=before,
            after=snapshot(household),
        )
        return household


def _checked_id_number(raw: str) -> str:
    id_number = normalize_id_number(raw)
    reason = validate_id_number(id_number)
    if reason:
        raise InvalidInput(errors={"id_number": [reason]})
    return id_number


def _checked_phone(raw: str | None) -> str | None:
    if not raw:
        return None
    phone = normalize_phone(raw)
    reason = validate_phone(phone)
    if reason:
        raise InvalidInput(errors={"phone": [reason]})
    return phone


def apply_identity(villager: Villager, *, id_number: str | None = None, phone: str | None = None) -> None:
    """Store ID and phone numbers encrypted, indexed and masked; derive birth date and sex from the ID."""
    if id_number is not None:
        protected = protect_id_number(id_number)
        villager.id_number_cipher, villager.id_number_index = protected.cipher, protected.index
        villager.id_number_masked = protected.masked
        villager.birth_date = id_number_birth_date(id_number)
        villager.sex = id_number_sex(id_number)
    if phone is not None:
        protected = protect_phone(phone)
        villager.phone_cipher, villager.phone_index, villager.phone_masked = (
            protected.cipher,
            protected.index,
            protected.masked,
        )


def _household_in_village(session, household_id: int | None, village_id: int) -> None:
    if household_id is None:
        return
    household = session.get(Household, household_id)
    if household is None or household.village_id != village_id:
        raise InvalidInput(errors={"household_id": ["该户不属于本村。"]})


def create_villager(*, caller: Caller, village_id: int, fields: dict) -> Villager:
    """Add one person to a village roster; the ID number must be valid and new to the village."""
    id_number = _checked_id_number(fields.pop("id_number"))
    phone = _checked_phone(fields.pop("phone", None))
    with write_transaction() as session:
        check_village_in_scope(caller, village_id)
        _household_in_village(session, fields.get("household_id"), village_id)
        duplicate = session.execute(
            select(Villager.id).where(
                Villager.village_id == village_id, Villager.id_number_index == id_number_index(id_number)
            )
        ).scalar_one_or_none()
        if duplicate:
            raise Conflict("该身份证号已在本村花名册中。", errors={"id_number": ["该身份证号已在本村花名册中。"]})
        villager = Villager(village_id=village_id, **fields)
        apply_identity(villager, id_number=id_number, phone=phone)
        session.add(villager)
        record_audit(session, actor=caller, action="villager.create", entity=villager, after=snapshot(villager))
        return villager


def update_villager(*, caller: Caller, villager: Villager, changes: dict) -> Villager:
    phone = _checked_phone(changes.pop("phone", None)) if "phone" in changes else None
    with write_transaction() as session:
        villager = session.merge(villager)
        _household_in_village(session, changes.get("household_id"), villager.village_id)
        before = snapshot(villager)
        for key, value in changes.items():
            setattr(villager, key, value)
        apply_identity(villager, phone=phone)
        record_audit(
            session,
            actor=caller,
            action="villager.update",
            entity=villager,
            before=before,
            after=snapshot(villager),
        )
        return villager
