"""The city level of the demo: 慈溪市 (CX) over 桥头镇 and a second, smaller town, rule templates, and a bank.

Runs last: 观海卫镇 (GHW) has one village, 南村 (GHW01), whose points and credit rules are adopted from the
city's templates (with one amount of its own), and a few months of history, so that city views compare two towns.
The demo bank 慈溪农商银行 signs in with client id `demo-bank` and secret `demo-bank-secret` (demo mode only) and
holds a consent of demo:qt01-0001 that it has read once.
"""

import contextlib
import copy
import hashlib
import random
from datetime import date, timedelta

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.demo.names import random_name
from backend.extensions import db
from backend.models import City, CreditEntry, Household, Institution, Town, User, Village, Villager
from backend.rules import load_demo_rule_set
from backend.services.access import Caller
from backend.services.auth.sessions import hash_password
from backend.services.city.adoption import adopt_template_version
from backend.services.city.templates import create_template, draft_template_version, publish_template_version
from backend.services.credit.scores import NoCreditRules
from backend.services.credit.snapshots import recompute_snapshots
from backend.services.earning.awards import award_points
from backend.services.partners.consents import grant_consent
from backend.services.partners.reports import fetch_credit_report
from backend.services.people.records import apply_identity
from backend.services.rulesets.versions import publish_rule_set

BANK_CLIENT_ID, BANK_SECRET = "demo-bank", "demo-bank-secret"  # demo mode only
MONTHS_OF_HISTORY = 3
HOUSEHOLDS = 12
BOUND = 10


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _staff(username: str, role: str, display: str, **where) -> User:
    from backend.demo import DEMO_PASSWORD

    user = User(username=username, role=role, display_name=display, password_hash=hash_password(DEMO_PASSWORD), **where)
    db.session.add(user)
    return user


def _people(rng: random.Random, village: Village, town: Town) -> list[Villager]:
    from backend.adapters.idcard import make_id_number

    people = []
    for number in range(1, HOUSEHOLDS + 1):
        household = Household(village_id=village.id, code=f"NC{number:03d}")
        db.session.add(household)
        db.session.flush()
        head_birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30))
        for relation in ("户主", "配偶", "子")[: rng.randrange(1, 4)]:
            female = relation == "配偶"
            birth = {
                "户主": head_birth,
                "配偶": head_birth + timedelta(days=rng.randrange(-900, 900)),
                "子": head_birth + timedelta(days=365 * rng.randrange(24, 30)),
            }[relation]
            villager = Villager(
                village_id=village.id,
                household_id=household.id,
                name=random_name(rng, female=female, surname_seed=(number - 1) / HOUSEHOLDS),
                relation=relation,
                is_head=relation == "户主",
                group_name=f"第{rng.randrange(1, 4)}村民小组",
            )
            sequence = (900 + len(people)) * 2 % 1000 + (0 if female else 1)
            apply_identity(villager, id_number=make_id_number("330282", birth, sequence % 1000), phone=None)
            people.append(villager)
    db.session.add_all(people)
    db.session.flush()
    for n, villager in enumerate(people[:BOUND], start=1):
        db.session.add(
            User(
                role="villager",
                openid=f"demo-ghw01-{n:04d}",
                villager_id=villager.id,
                village_id=village.id,
                town_id=town.id,
                display_name=villager.name,
            )
        )
    return people


def _templates(city: City, admin: Caller) -> dict:
    versions = {}
    for kind, allowed in (
        ("points", {"P04": {"min": 3, "max": 8}, "P05": {"min": 1, "max": 3}}),
        ("credit", {"R01": {"min": -60, "max": -40}}),
    ):
        document = copy.deepcopy(load_demo_rule_set(f"{kind}_qt"))
        document["name"] = f"慈溪市{'积分' if kind == 'points' else '信用'}规则模板"
        template = create_template(
            caller=admin, kind=kind, code=f"CX-{kind.upper()}", name=document["name"], city_id=city.id, town_id=None
        )
        draft = draft_template_version(
            caller=admin, template=template, document=document, allowed=allowed, notes="第一版：依据桥头镇细则"
        )
        versions[kind] = publish_template_version(caller=admin, version=draft)
    return versions


def _history(rng, people: list[Villager], start: date, today: date) -> int:
    awards = 0
    with write_transaction() as session:
        for villager in people[:BOUND]:
            day = start
            while day < today:
                if rng.random() < 0.35:
                    kind = rng.choice(("vote", "lesson", "checkin"))
                    facts = {"event.kind": "patrol"} if kind == "checkin" else {}
                    award_points(
                        session,
                        villager=villager,
                        activity_type=kind,
                        facts=facts,
                        on=day,
                        source_type="demo",
                        source_id=villager.id,
                        idempotency_key=f"demo-ghw01:{villager.id}:{day.isoformat()}",
                    )
                    awards += 1
                day += timedelta(days=rng.randrange(3, 9))
        for villager in rng.sample(people, k=len(people) // 4):
            occurred = start + timedelta(days=rng.randrange(0, max(1, (today - start).days - 10)))
            session.add(
                CreditEntry(
                    village_id=villager.village_id,
                    villager_id=villager.id,
                    kind="rule",
                    origin="honour" if rng.random() < 0.6 else "violation",
                    rule_code=rng.choice(("H31", "H32")) if rng.random() < 0.6 else "R02",
                    rule_version=1,
                    occurred_on=occurred,
                    counts_from=occurred + timedelta(days=7),
                    facts={"event.hours": 4},
                    status="counted",
                    evidence_text="村委会记录",
                    evidence_file_ids=[],
                )
            )
    return awards


def _bank() -> Institution:
    institution = Institution(
        name="慈溪农商银行",
        kind="bank",
        client_id=BANK_CLIENT_ID,
        client_secret_hash=hashlib.sha256(BANK_SECRET.encode()).hexdigest(),
        scopes=["consents", "credit_report"],
        rate_limit="30 per minute",
        is_active=True,
    )
    db.session.add(institution)
    db.session.commit()
    user = db.session.execute(select(User).where(User.openid == "demo-qt01-0001")).scalar_one_or_none()
    if user is not None:
        consent = grant_consent(
            caller=Caller.of(user),
            institution_id=institution.id,
            purpose="loan_approval",
            shares=["level", "score_band", "reasons"],
            expires_on=clock.today() + timedelta(days=30),
        )
        with contextlib.suppress(NoCreditRules):  # a partial demo (tests) without the credit part: consent alone
            fetch_credit_report(
                institution_id=institution.id, scopes=frozenset({"credit_report"}), consent_id=consent.id
            )
    return institution


def load(*, echo=print) -> None:
    rng = random.Random(20261130)
    today = clock.today()
    start = _month_start(today, MONTHS_OF_HISTORY)
    city = City(code="CX", name="慈溪市")
    db.session.add(city)
    db.session.flush()
    for town in db.session.execute(select(Town)).scalars():
        town.city_id = city.id
    town = Town(code="GHW", name="观海卫镇", city_id=city.id)
    db.session.add(town)
    db.session.flush()
    village = Village(town_id=town.id, code="GHW01", name="南村")
    db.session.add(village)
    db.session.flush()
    people = _people(rng, village, town)
    admin = _staff("cx-city", "city_admin", "慈溪市管理员", city_id=city.id)
    _staff("ghw-town", "town_admin", "观海卫镇管理员", town_id=town.id)
    drafter = _staff("ghw01-cw1", "committee", "南村村委一", town_id=town.id, village_id=village.id)
    publisher = _staff("ghw01-cw2", "committee", "南村村委二", town_id=town.id, village_id=village.id)
    db.session.commit()
    versions = _templates(city, Caller.of(admin))
    for kind, amounts in (("points", {"P04": 6}), ("credit", {})):
        adopted = adopt_template_version(
            caller=Caller.of(drafter), village_id=village.id, version=versions[kind], amounts=amounts, extra_rules=[]
        )
        publish_rule_set(caller=Caller.of(publisher), rule_set=adopted["rule_set"], effective_from=start)
    awards = _history(rng, people, start, today)
    month = start
    while month <= today:
        recompute_snapshots(village_ids=[village.id], month=month)
        month = _month_start(month, -1)
    bank = _bank()
    echo(
        f"  {city.name} (CX): 桥头镇 and {town.name} ({village.name} GHW01, {len(people)} villagers, {awards} awards, "
        f"rules adopted from the city's templates); bank {bank.name} (client {BANK_CLIENT_ID})"
    )
