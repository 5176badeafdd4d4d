"""The demo's city level: a second, smaller town whose village runs the city's templates, and a bank."""

import pytest
from sqlalchemy import select

from backend.demo import city, people
from backend.extensions import db
from backend.models import Consent, RuleSet, Town, Village
from tests.factories.partners import basic

# Slow: demo loads, thread races and long property runs; `make test-fast` leaves them out.
pytestmark = pytest.mark.slow


def test_demo_city_has_two_towns_a_templated_village_and_a_bank(app, client, backend_name):
    if backend_name != "sqlite":
        pytest.skip("the demo data do not depend on the database")
    people.load(echo=lambda *_: None)
    city.load(echo=lambda *_: None)
    towns = db.session.execute(select(Town.code, Town.city_id)).all()
    assert {code for code, _ in towns} == {"QT", "GHW"} and len({c for _, c in towns}) == 1
    village = db.session.execute(select(Village).where(Village.code == "GHW01")).scalar_one()
    sets = db.session.execute(select(RuleSet).where(RuleSet.village_id == village.id)).scalars().all()
    assert {(s.kind, s.status) for s in sets} == {("points", "published"), ("credit", "published")}
    assert all(s.template_version_id and s.drafted_by_id != s.published_by_id for s in sets)
    points = next(s for s in sets if s.kind == "points")
    assert next(r for r in points.document["rules"] if r["code"] == "P04")["effect"]["amount"] == 6
    token = client.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials"}, headers=basic("demo-bank", "demo-bank-secret")
    )
    assert token.status_code == 200
    assert db.session.execute(select(Consent)).scalar_one().purpose == "loan_approval"
    login = client.post("/api/v1/auth/login", json={"username": "cx-city", "password": "demo1234"})
    towns_seen = client.get("/api/v1/towns", headers={"Authorization": f"Bearer {login.get_json()['access_token']}"})
    assert {t["code"] for t in towns_seen.get_json()} == {"QT", "GHW"}
