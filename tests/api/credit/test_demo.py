"""The demo part: every level in each village, and work under way behind the demo logins."""

import pytest
from sqlalchemy import func, select

from backend.demo import credit, people
from backend.extensions import db
from backend.models import CreditObjection, CreditRepair, CreditSnapshot, HonourApplication, Village
from tests.conftest import body

# Slow: demo loads, thread races and long property runs; `make test-fast` leaves them out.
pytestmark = pytest.mark.slow


def test_demo_has_every_level_in_each_village_and_work_under_way(app, client, backend_name):
    if backend_name != "sqlite":
        pytest.skip("the demo data do not depend on the database; one load is enough")
    people.load(echo=lambda *_: None)
    credit.load(echo=lambda *_: None)
    latest = db.session.execute(select(func.max(CreditSnapshot.month))).scalar_one()
    levels = db.session.execute(
        select(Village.code, CreditSnapshot.level)
        .join(Village, Village.id == CreditSnapshot.village_id)
        .where(CreditSnapshot.month == latest)
        .distinct()
    ).all()
    for code in ("QT01", "QT02"):
        assert {level for village, level in levels if village == code} == {"AAA", "AA", "A", "B", "C"}
    months = db.session.execute(select(func.count(func.distinct(CreditSnapshot.month)))).scalar_one()
    assert months >= 5
    assert db.session.execute(select(func.count()).where(HonourApplication.status == "applied")).scalar_one() == 2
    assert db.session.execute(select(func.count()).where(CreditObjection.status == "open")).scalar_one() == 2
    assert db.session.execute(select(func.count()).where(CreditRepair.status == "applied")).scalar_one() == 2

    login = client.post("/api/v1/auth/wechat-login", json={"code": "demo:qt01-0006"})
    listed = body(client.get("/api/v1/me/credit", headers={"Authorization": f"Bearer {body(login)['access_token']}"}))
    assert (listed["level"], listed["blocks_redemption"]) == ("C", True)
