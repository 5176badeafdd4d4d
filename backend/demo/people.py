"""Demo town, villages, households, villagers and staff accounts."""

import random
from datetime import date, timedelta

from backend.adapters.idcard import make_id_number
from backend.demo.names import random_name
from backend.extensions import db
from backend.models import Household, Town, User, Village, Villager
from backend.services.auth.sessions import hash_password
from backend.services.people.records import apply_identity

VILLAGES = [("QT01", "东村", "DC"), ("QT02", "西村", "XC")]
HOUSEHOLDS_PER_VILLAGE = 32
BOUND_PER_VILLAGE = 20


def _staff(town: Town, villages: dict[str, Village]) -> list[User]:
    from backend.demo import DEMO_PASSWORD

    password = hash_password(DEMO_PASSWORD)
    qt01, qt02 = villages["QT01"], villages["QT02"]
    return [
        User(username="admin", role="admin", display_name="平台管理员", password_hash=password),
        User(
            username="qt-town",
            role="town_admin",
            display_name="桥头镇管理员",
            town_id=town.id,
            password_hash=password,
        ),
        User(
            username="qt01-cw1",
            role="committee",
            display_name="东村村委一",
            town_id=town.id,
            village_id=qt01.id,
            password_hash=password,
        ),
        User(
            username="qt01-cw2",
            role="committee",
            display_name="东村村委二",
            town_id=town.id,
            village_id=qt01.id,
            password_hash=password,
        ),
        User(
            username="qt02-cw1",
            role="committee",
            display_name="西村村委一",
            town_id=town.id,
            village_id=qt02.id,
            password_hash=password,
        ),
    ]


def _household(rng: random.Random, village: Village, code: str, seq: list[int]) -> list[Villager]:
    """A household of 1-5 people: a head, maybe a spouse, children and a parent."""
    surname_seed = rng.random()
    head_birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
    relations = ["户主", *rng.sample(["配偶", "子", "女", "母亲"], k=rng.randrange(0, 4))]
    members = []
    for relation in relations:
        birth = {
            "户主": head_birth,
            "配偶": head_birth + timedelta(days=rng.randrange(-1500, 1500)),
            "子": head_birth + timedelta(days=365 * rng.randrange(22, 32)),
            "女": head_birth + timedelta(days=365 * rng.randrange(22, 32)),
            "母亲": head_birth - timedelta(days=365 * rng.randrange(20, 28)),
        }[relation]
        seq[0] += 1
        female = relation in ("配偶", "女", "母亲") if relation != "配偶" else rng.random() < 0.9
        id_number = make_id_number("330282", birth, _sequence(seq[0], female))
        villager = Villager(
            village_id=village.id,
            name=random_name(rng, female=female, surname_seed=surname_seed),
            relation=relation,
            is_head=relation == "户主",
            group_name=f"第{rng.randrange(1, 6)}村民小组",
        )
        phone = f"1{rng.choice('3578')}{rng.randrange(0, 10**9):09d}" if relation != "母亲" else None
        apply_identity(villager, id_number=id_number, phone=phone)
        members.append(villager)
    return members


def _sequence(n: int, female: bool) -> int:
    """Three-digit order code whose last digit carries sex (odd male, even female)."""
    base = (n * 2) % 1000
    return base if female else (base + 1) % 1000


def load(*, echo=print) -> None:
    rng = random.Random(20261123)
    town = Town(code="QT", name="桥头镇")
    db.session.add(town)
    db.session.flush()
    villages = {}
    seq = [0]
    for code, name, prefix in VILLAGES:
        village = Village(town_id=town.id, code=code, name=name)
        db.session.add(village)
        db.session.flush()
        villages[code] = village
        people: list[Villager] = []
        for number in range(1, HOUSEHOLDS_PER_VILLAGE + 1):
            household = Household(village_id=village.id, code=f"{prefix}{number:03d}")
            db.session.add(household)
            db.session.flush()
            for member in _household(rng, village, household.code, seq):
                member.household_id = household.id
                people.append(member)
        db.session.add_all(people)
        db.session.flush()
        adults = [v for v in people if v.birth_date and v.birth_date <= date(2008, 1, 1)]
        for n, villager in enumerate(adults[:BOUND_PER_VILLAGE], start=1):
            db.session.add(
                User(
                    role="villager",
                    openid=f"demo-{code.lower()}-{n:04d}",
                    villager_id=villager.id,
                    village_id=village.id,
                    town_id=town.id,
                    display_name=villager.name,
                )
            )
        echo(f"  {name} ({code}): {len(people)} villagers in {HOUSEHOLDS_PER_VILLAGE} households")
    db.session.add_all(_staff(town, villages))
    db.session.commit()
