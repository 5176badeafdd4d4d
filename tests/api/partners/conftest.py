"""A village with published credit rules, two bound villagers, a committee, and two banks."""

from dataclasses import dataclass

import pytest

from backend.models import Institution, User, Village, Villager
from tests.factories import make_staff, make_town, make_village, make_villager, make_villager_user
from tests.factories.credit import make_credit_entry, make_credit_rule_set
from tests.factories.partners import make_institution


@dataclass
class Banks:
    village: Village
    villager: Villager
    user: User
    neighbour_user: User
    committee: User
    bank: Institution
    bank_secret: str
    other_bank: Institution
    other_secret: str


@pytest.fixture
def banks(app) -> Banks:
    town = make_town()
    village = make_village(town, code="QT01", name="东村")
    make_credit_rule_set(village)
    villager = make_villager(village, name="王大明", phone="13912345678")
    make_credit_entry(villager, rule_code="R01")  # a deduction: a reason below the next level
    neighbour = make_villager(village, name="李秀英")
    bank, bank_secret = make_institution("慈溪农商银行")
    other_bank, other_secret = make_institution("另一家银行")
    return Banks(
        village=village,
        villager=villager,
        user=make_villager_user(villager),
        neighbour_user=make_villager_user(neighbour),
        committee=make_staff("committee", village=village),
        bank=bank,
        bank_secret=bank_secret,
        other_bank=other_bank,
        other_secret=other_secret,
    )
