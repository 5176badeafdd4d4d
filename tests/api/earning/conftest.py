"""A village with a published points rule set, its committee, and bound villagers; time frozen and movable."""

from dataclasses import dataclass

import pytest

from backend.models import Household, User, Villager
from backend.models import Village as VillageRow
from tests.factories import make_household, make_staff, make_town, make_village, make_villager, make_villager_user
from tests.factories.activities import make_rule_set
from tests.factories.submissions import Village


@dataclass
class World:
    village: VillageRow
    household: Household
    villager: Villager
    user: User
    spouse: Villager
    spouse_user: User
    cw1: User
    cw2: User
    town_admin: User
    other_village: VillageRow
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


@pytest.fixture
def v(client) -> Village:
    """A village with the demo points rules where villagers claim and the committee reviews (speak and photo)."""
    return Village(client)
