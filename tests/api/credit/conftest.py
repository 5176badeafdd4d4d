"""A village with a published credit rule set (the demo set plus a village-list gate), its committee, villagers."""

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from backend import clock
from backend.extensions import db
from backend.models import RuleSet, User, Village, Villager
from backend.rules import load_demo_rule_set
from tests.factories import make_staff, make_town, make_village, make_villager, make_villager_user

# 2026-03-10 10:00 in the village (UTC+8).
START = datetime(2026, 3, 10, 2, 0)
TODAY = date(2026, 3, 10)
VILLAGE_GATE = {
    "code": "G04",
    "label": "列入村失信清单期内等级最高为 B",
    "when": {"list": "village"},
    "effect": {"type": "cap_level", "level": "B"},
}


def credit_document(**changes) -> dict:
    """The demo credit set (base 1000; AAA 1050, AA 1000, A 950, B 850; notice 7 days) with a village-list gate."""
    document = copy.deepcopy(load_demo_rule_set("credit_qt"))
    document["gates"].append(copy.deepcopy(VILLAGE_GATE))
    document.update(changes)
    return document


def make_credit_rule_set(village: Village, *, document=None, version=1, effective_from=date(2026, 1, 1), **kw):
    document = copy.deepcopy(document or credit_document())
    status = kw.get("status", "published")
    document.update(version=version, effective_from=effective_from.isoformat() if status != "draft" else None)
    rule_set = RuleSet(
        village_id=village.id,
        kind="credit",
        version=version,
        status=status,
        effective_from=effective_from if status != "draft" else None,
        document=document,
        drafted_by_id=kw.get("drafted_by_id"),
    )
    db.session.add(rule_set)
    db.session.commit()
    return rule_set


class Clock:
    def __init__(self, monkeypatch):
        self.moment = START
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


@dataclass
class World:
    village: Village
    villager: Villager
    user: User
    neighbour: Villager
    neighbour_user: User
    cw1: User
    cw2: User
    town_admin: User
    other_village: Village
    other_cw: User
    outsider: Villager


@pytest.fixture
def world(app, frozen) -> World:
    town = make_town()
    village = make_village(town, name="东村")
    villager = make_villager(village, name="王大明")
    neighbour = make_villager(village, name="李秀英")
    make_credit_rule_set(village)
    other = make_village(town, name="西村")
    make_credit_rule_set(other)
    return World(
        village=village,
        villager=villager,
        user=make_villager_user(villager),
        neighbour=neighbour,
        neighbour_user=make_villager_user(neighbour),
        cw1=make_staff("committee", village=village),
        cw2=make_staff("committee", village=village),
        town_admin=make_staff("town_admin", town=town),
        other_village=other,
        other_cw=make_staff("committee", village=other),
        outsider=make_villager(other, name="赵外"),
    )
