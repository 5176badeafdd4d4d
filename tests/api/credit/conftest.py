"""A village with a published credit rule set (the demo set plus a village-list gate), its committee, villagers."""

from dataclasses import dataclass

import pytest

from backend.models import User, Village, Villager
from tests.factories import make_staff, make_town, make_village, make_villager, make_villager_user
from tests.factories.credit import make_credit_rule_set


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
