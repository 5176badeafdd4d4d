"""Factories of the city level: a city with its towns, and the city's admin."""

import itertools

from backend.extensions import db
from backend.models import City, Town, User
from tests.factories import make_staff

_seq = itertools.count(1)


def make_city(*towns: Town, code: str | None = None, name: str = "测试市") -> City:
    """A city holding `towns`."""
    city = City(code=code or f"C{next(_seq):03d}", name=name)
    db.session.add(city)
    db.session.flush()
    for town in towns:
        town.city_id = city.id
    db.session.commit()
    return city


def make_city_admin(city: City, username: str | None = None) -> User:
    user = make_staff("city_admin", username=username)
    user.city_id = city.id
    db.session.commit()
    return user
