"""Plain factory functions with defaults; each commits what it makes."""

import itertools
import uuid
from datetime import date

from argon2 import PasswordHasher

from backend.adapters.idcard import make_id_number
from backend.extensions import db
from backend.models import Household, Town, User, Village, Villager
from backend.services.auth.sessions import start_session
from backend.services.people.records import apply_identity

PASSWORD = "pw-for-tests"
# Cheap parameters: the production hasher is slow on purpose, tests need not be.
_FAST_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
_seq = itertools.count(1)


def make_town(code: str | None = None, name: str = "测试镇") -> Town:
    n = next(_seq)
    town = Town(code=code or f"T{n:03d}", name=name)
    db.session.add(town)
    db.session.commit()
    return town


def make_village(town: Town | None = None, code: str | None = None, name: str = "测试村") -> Village:
    town = town or make_town()
    n = next(_seq)
    village = Village(town_id=town.id, code=code or f"V{n:04d}", name=name)
    db.session.add(village)
    db.session.commit()
    return village


def make_household(village: Village, code: str | None = None) -> Household:
    household = Household(village_id=village.id, code=code or f"H{next(_seq):04d}")
    db.session.add(household)
    db.session.commit()
    return household


def new_id_number(birth: date = date(1980, 5, 17), female: bool = False) -> str:
    n = next(_seq) % 500
    return make_id_number("330282", birth, n * 2 + (0 if female else 1))


def make_villager(
    village: Village,
    *,
    name: str = "张三",
    id_number: str | None = None,
    phone: str | None = "13812345678",
    household: Household | None = None,
    is_head: bool = True,
    birth: date = date(1980, 5, 17),
) -> Villager:
    villager = Villager(
        village_id=village.id,
        name=name,
        household_id=household.id if household else None,
        relation="户主" if is_head else "子",
        is_head=is_head,
    )
    apply_identity(villager, id_number=id_number or new_id_number(birth), phone=phone)
    db.session.add(villager)
    db.session.commit()
    return villager


def make_staff(
    role: str,
    *,
    village: Village | None = None,
    town: Town | None = None,
    username: str | None = None,
    shop_id: int | None = None,
) -> User:
    if village is not None and town is None:
        town = db.session.get(Town, village.town_id)
    user = User(
        role=role,
        username=username or f"{role}-{next(_seq)}",
        password_hash=_FAST_HASH,
        village_id=village.id if village else None,
        town_id=town.id if town else None,
        shop_id=shop_id,
        display_name=f"测试{role}",
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_villager_user(villager: Villager | None = None, openid: str | None = None) -> User:
    """A WeChat user, bound to `villager` if given."""
    user = User(role="villager", openid=openid or f"oid-{next(_seq)}")
    if villager is not None:
        village = db.session.get(Village, villager.village_id)
        user.villager_id, user.village_id, user.town_id = villager.id, village.id, village.town_id
    db.session.add(user)
    db.session.commit()
    return user


def tokens_for(user: User):
    pair = start_session(user)
    db.session.commit()
    return pair


def auth(user: User) -> dict:
    """Authorization header of a fresh sign-in of `user`."""
    return {"Authorization": f"Bearer {tokens_for(user).access_token}"}


def keyed(headers: dict) -> dict:
    """`headers` with a fresh Idempotency-Key, as a client sends with each new operation."""
    return {**headers, "Idempotency-Key": str(uuid.uuid4())}
