"""Every endpoint × every role × an object of another village: nothing is read or written across villages.

The matrix is built from the app's URL map, so a new endpoint is covered the day it is added. An endpoint whose
path names an object needs a factory below that makes such an object in the *other* village; the test fails
with a clear message until it has one.
"""

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from tests.conftest import response_text
from tests.factories import auth, make_household, make_staff, make_town, make_village, make_villager, make_villager_user
from tests.factories.activities import activity_object_factories
from tests.factories.city import template_object_factories
from tests.factories.credit import credit_object_factories
from tests.factories.engagement import engagement_object_factories
from tests.factories.partners import inbound_object_factories, partner_object_factories, webhook_object_factories
from tests.factories.security import sign_in_object_factories
from tests.factories.shops import shop_object_factories
from tests.factories.submissions import submission_object_factories

MARKER = "外村机密"  # appears in every name of the other village's objects; must never reach a response


class OtherWorld:
    """A second town with a village full of objects, none of which our callers may see."""

    def __init__(self):
        self.town = make_town(code="OTHER", name=f"{MARKER}镇")
        self.village = make_village(self.town, code="OTHER01", name=f"{MARKER}村")
        self.household = make_household(self.village, code=f"{MARKER}户")
        self.villager = make_villager(self.village, name=f"{MARKER}人", household=self.household)
        make_villager_user(self.villager)
        self.committee = make_staff("committee", village=self.village)
        self.objects: dict[str, int] = {}


# Path parameter -> how to make an object of that kind in the other village.
OBJECT_FACTORIES = {
    "village_id": lambda world: world.village.id,
    "household_id": lambda world: world.household.id,
    "villager_id": lambda world: world.villager.id,
    **activity_object_factories(MARKER),
    **shop_object_factories(MARKER),
    **credit_object_factories(MARKER),
    **submission_object_factories(MARKER),
    **engagement_object_factories(MARKER),
    **partner_object_factories(MARKER),
    **inbound_object_factories(MARKER),
    **template_object_factories(MARKER),
    **sign_in_object_factories(MARKER),
    **webhook_object_factories(MARKER),
}


def callers_of_our_village():
    """One signed-in user of every role, all in our own town and village."""
    town = make_town(code="OURS")
    village = make_village(town, code="OURS01")
    villager = make_villager(village, name="本村人")
    return {
        "villager": make_villager_user(villager),
        "unbound": make_villager_user(),
        "shopkeeper": make_staff("shopkeeper", village=village),
        "committee": make_staff("committee", village=village),
        "town_admin": make_staff("town_admin", town=town),
    }


def api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and "openapi" not in rule.rule and rule.rule != "/api/v1/docs":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.execute(select(func.count()).select_from(table)).scalar()
        for table in db.metadata.sorted_tables
    }


def test_no_endpoint_reads_or_writes_another_villages_objects(app, client):
    world = OtherWorld()
    callers = {role: auth(user) for role, user in callers_of_our_village().items()}
    missing = sorted({arg for rule, _ in api_rules(app) for arg in rule.arguments if arg not in OBJECT_FACTORIES})
    assert not missing, f"add factories for these path parameters to OBJECT_FACTORIES: {missing}"
    failures = []
    for rule, method in api_rules(app):
        if not rule.arguments:
            continue
        url = rule.rule
        for arg in rule.arguments:
            value = str(OBJECT_FACTORIES[arg](world))
            url = url.replace(f"<int:{arg}>", value).replace(f"<path:{arg}>", value).replace(f"<{arg}>", value)
        before = row_counts()
        for role, headers in callers.items():
            response = client.open(url, method=method, json={}, headers=headers)
            if response.status_code == 422 and method == "GET":
                # Fill the required query parameters so that the request reaches the scope check.
                query = dict.fromkeys(response.get_json()["errors"], "1")
                response = client.open(url, method=method, query_string=query, headers=headers)
            text = response.get_data(as_text=True)
            allowed = {403, 404} if method == "GET" else {403, 404, 400, 422}
            if rule.rule.startswith("/api/v1/partner/"):
                allowed = allowed | {401}  # institutions' endpoints take no staff or villager token at all
            if response.status_code not in allowed or MARKER in text:
                failures.append(f"{method} {url} as {role}: {response.status_code} {text[:120]}")
        if row_counts() != before:
            failures.append(f"{method} {url} changed the database")
    assert not failures, "\n".join(failures)


def test_no_list_endpoint_shows_another_villages_objects(app, client):
    OtherWorld()
    callers = {role: auth(user) for role, user in callers_of_our_village().items()}
    for rule, method in api_rules(app):
        if method != "GET" or rule.arguments:
            continue
        for role, headers in callers.items():
            response = client.get(rule.rule, headers=headers)
            assert MARKER not in response_text(response), f"GET {rule.rule} as {role} leaks"


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/v1/households", {"code": "X1"}),
        ("/api/v1/villagers", {"name": "新人", "id_number": "11010519491231002X"}),
    ],
)
def test_creating_in_another_village_is_refused(app, client, path, payload):
    world = OtherWorld()
    callers = {role: auth(user) for role, user in callers_of_our_village().items()}
    before = row_counts()
    for role in ("committee", "town_admin"):
        response = client.post(path, json={**payload, "village_id": world.village.id}, headers=callers[role])
        assert response.status_code == 404, (role, response.get_json())
    assert row_counts() == before


def test_town_admin_sees_every_village_of_their_town_and_no_other(app, client):
    world = OtherWorld()
    town = make_town(code="MINE")
    mine = [make_village(town, code=f"MINE0{n}") for n in (1, 2)]
    admin = make_staff("town_admin", town=town)
    listed = {v["id"] for v in client.get("/api/v1/villages", headers=auth(admin)).get_json()}
    assert listed == {v.id for v in mine}
    assert world.village.id not in listed
