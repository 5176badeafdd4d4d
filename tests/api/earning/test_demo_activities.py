"""The demo part: published rules for both villages and real histories behind the demo logins."""

import pytest
from sqlalchemy import func, select

from backend.demo import activities, people
from backend.extensions import db
from backend.models import PointAward, RuleSet, User
from backend.services.ledger.balances import villager_balance

# Slow: demo loads, thread races and long property runs; `make test-fast` leaves them out.
pytestmark = pytest.mark.slow


def test_demo_logins_have_balances_earned_by_the_rules(app, backend_name):
    if backend_name != "sqlite":
        pytest.skip("the demo data do not depend on the database; one 10-second load is enough")
    people.load(echo=lambda *_: None)
    activities.load(echo=lambda *_: None)
    rule_sets = db.session.execute(select(RuleSet.status, RuleSet.drafted_by_id != RuleSet.published_by_id)).all()
    assert rule_sets == [("published", True), ("published", True)]
    bound = db.session.execute(select(User.villager_id).where(User.openid.like("demo-%"))).scalars().all()
    balances = sorted(villager_balance(db.session, villager_id) for villager_id in bound)
    assert len(balances) == 40
    assert balances[0] >= 100 and balances[-1] <= 400, balances
    kinds = db.session.execute(select(PointAward.activity_type, func.count()).group_by(PointAward.activity_type)).all()
    assert {kind for kind, count in kinds if count > 20} == {"vote", "lesson", "checkin"}
