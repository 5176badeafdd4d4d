"""A city of two towns (three villages) and a second city, with their admins and committees."""

from dataclasses import dataclass

import pytest

from backend.models import City, Town, User, Village
from tests.factories import make_staff, make_town, make_village
from tests.factories.city import make_city, make_city_admin


@dataclass
class Cities:
    city: City
    town: Town
    small_town: Town
    villages: list[Village]
    small_village: Village
    city_admin: User
    town_admin: User
    small_town_admin: User
    cw1: User
    cw2: User
    other_city: City
    other_village: Village
    other_cw: User


@pytest.fixture
def cities(app) -> Cities:
    town, small_town = make_town(code="QT", name="桥头镇"), make_town(code="GHW", name="观海卫镇")
    villages = [make_village(town, code="QT01", name="东村"), make_village(town, code="QT02", name="西村")]
    small_village = make_village(small_town, code="GHW01", name="南村")
    city = make_city(town, small_town, code="CX", name="慈溪市")
    other_town = make_town(code="YY1")
    other_village = make_village(other_town, code="YY101")
    other_city = make_city(other_town, code="YY", name="余姚市")
    return Cities(
        city=city,
        town=town,
        small_town=small_town,
        villages=villages,
        small_village=small_village,
        city_admin=make_city_admin(city),
        town_admin=make_staff("town_admin", town=town),
        small_town_admin=make_staff("town_admin", town=small_town),
        cw1=make_staff("committee", village=villages[0]),
        cw2=make_staff("committee", village=villages[0]),
        other_city=other_city,
        other_village=other_village,
        other_cw=make_staff("committee", village=other_village),
    )
