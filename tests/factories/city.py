"""Factories of the city level: a city with its towns, and the city's admin."""

import copy
import itertools

from backend.extensions import db
from backend.models import City, Town, User
from backend.rules import load_demo_rule_set
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


def template_object_factories(marker: str) -> dict:
    """Path parameter -> a template (and its published version) of the authorisation matrix's other town."""
    from backend.models import RuleTemplate, RuleTemplateVersion
    from backend.rules import load_demo_rule_set

    def template(world) -> int:
        if "template" not in world.objects:
            made = RuleTemplate(town_id=world.town.id, kind="points", code="OTHER-T", name=f"{marker}模板")
            db.session.add(made)
            db.session.flush()
            document = dict(load_demo_rule_set("points_qt"), name=f"{marker}规则")
            version = RuleTemplateVersion(template_id=made.id, version=1, status="published", document=document)
            db.session.add(version)
            db.session.commit()
            world.objects["template"], world.objects["template_version"] = made.id, version.id
        return world.objects["template"]

    def version(world) -> int:
        template(world)
        return world.objects["template_version"]

    return {"template_id": template, "version_id": version}


def points_template(**changes) -> dict:
    document = copy.deepcopy(load_demo_rule_set("points_qt"))
    document["name"] = "慈溪市积分规则模板"
    document.update(changes)
    return document
