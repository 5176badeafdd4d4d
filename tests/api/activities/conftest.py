"""A village with a published points rule set, its committee, and bound villagers; time frozen and movable."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from backend import clock
from backend.models import Household, User, Village, Villager
from tests.activities_factories import make_rule_set
from tests.factories import make_household, make_staff, make_town, make_village, make_villager, make_villager_user

# 2026-03-10 10:00 in the village (UTC+8).
START = datetime(2026, 3, 10, 2, 0)


class Clock:
    def __init__(self, monkeypatch):
        self.moment = START
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def frozen(monkeypatch):
    """Time stands at START until a test moves it."""
    return Clock(monkeypatch)


@dataclass
class World:
    village: Village
    household: Household
    villager: Villager
    user: User
    spouse: Villager
    spouse_user: User
    cw1: User
    cw2: User
    town_admin: User
    other_village: Village
    outsider_user: User


@pytest.fixture
def world(app, frozen) -> World:
    town = make_town()
    village = make_village(town, name="东村")
    household = make_household(village)
    villager = make_villager(village, name="王大明", household=household)
    spouse = make_villager(village, name="李秀英", household=household, is_head=False)
    make_rule_set(village)
    other = make_village(town, name="西村")
    outsider = make_villager(other, name="赵外")
    return World(
        village=village,
        household=household,
        villager=villager,
        user=make_villager_user(villager),
        spouse=spouse,
        spouse_user=make_villager_user(spouse),
        cw1=make_staff("committee", village=village),
        cw2=make_staff("committee", village=village),
        town_admin=make_staff("town_admin", town=town),
        other_village=other,
        outsider_user=make_villager_user(outsider),
    )
