"""award_points: the version in force on the day, caps across concurrent awards, one booking per key."""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from backend.database import write_transaction
from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import PointAward, Villager
from backend.models.ledger import Transfer
from backend.services.earning.awards import award_points
from backend.services.ledger.balances import villager_balance
from tests.factories.activities import make_rule_set, points_document


def _award(villager_id, *, key, on=date(2026, 3, 10), activity_type="vote", facts=None, amount=None):
    with write_transaction() as session:
        villager = session.get(Villager, villager_id)
        award = award_points(
            session,
            villager=villager,
            activity_type=activity_type,
            facts=facts or {},
            on=on,
            source_type="test",
            source_id=1,
            idempotency_key=key,
            amount_override=amount,
        )
        return award.id, award.amount, award.rule_version, award.explanation, award.expires_on


def test_booked_points_carry_rule_code_version_and_expiry(app, world):
    _, amount, version, _, expires_on = _award(world.villager.id, key="k1")
    transfer = db.session.execute(select(Transfer)).scalar_one()
    assert (amount, version, expires_on) == (2, 1, date(2027, 12, 31))
    assert (transfer.rule_code, transfer.rule_version, transfer.earned_on) == ("P02", 1, date(2026, 3, 10))
    assert transfer.reason == "王大明于2026年3月10日参加民主评议投票，获得 2 积分"
    assert villager_balance(db.session, world.villager.id) == 2


def test_same_key_never_books_twice(app, world):
    first = _award(world.villager.id, key="poll:1:villager:1")
    again = _award(world.villager.id, key="poll:1:villager:1")
    assert again == first
    assert db.session.execute(select(func.count()).select_from(PointAward)).scalar() == 1
    assert villager_balance(db.session, world.villager.id) == 2


def test_activity_is_scored_under_the_version_in_force_on_its_day(app, world):
    document = points_document()
    document["rules"][1]["effect"]["amount"] = 4
    make_rule_set(world.village, document=document, version=2, effective_from=date(2026, 4, 1))
    assert _award(world.villager.id, key="march", on=date(2026, 3, 31))[1:3] == (2, 1)
    assert _award(world.villager.id, key="april", on=date(2026, 4, 1))[1:3] == (4, 2)


def test_nothing_is_booked_before_any_rule_set_is_in_force(app, world):
    _, amount, _, explanation, _ = _award(world.villager.id, key="early", on=date(2025, 12, 31))
    assert (amount, explanation) == (0, "本村尚未发布积分规则，本次不加分")
    assert villager_balance(db.session, world.villager.id) == 0


def test_reviewer_amount_outside_the_rule_range_is_refused(app, world):
    with pytest.raises(InvalidInput) as refused:
        _award(world.villager.id, key="photo", activity_type="photo", amount=9)
    assert list(refused.value.errors) == ["amount"]
    assert _award(world.villager.id, key="photo", activity_type="photo", amount=4)[1] == 4


@pytest.mark.slow
def test_concurrent_awards_never_exceed_the_cap(app, world):
    """Eight volunteer days at once, 8 points each, against a cap of 20 a month: exactly 20 are booked."""
    results, errors = [], []

    def work(n):
        try:
            with app.app_context():
                facts = {"event.kind": "volunteer", "event.hours": 8}
                results.append(_award(world.villager.id, key=f"event:{n}", activity_type="checkin", facts=facts)[1])
                db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results) == [0, 0, 0, 0, 0, 4, 8, 8]
    assert villager_balance(db.session, world.villager.id) == 20
