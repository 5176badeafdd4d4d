"""Booking, spending, reversing and expiring points through the ledger services."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import Lot, Transfer
from backend.services import ledger
from backend.services.idempotency import KeyReused
from tests.factories import make_village, make_villager
from tests.factories.ledger import balance, check_invariants, earn, reverse, spend


@pytest.fixture
def villager(app):
    return make_villager(make_village())


def test_earning_moves_points_from_the_village_and_records_why(villager):
    transfer = earn(villager, 5, expires_on=date(2027, 12, 31))
    assert balance(villager) == 5
    legs = {(e.account.kind, e.amount) for e in transfer.entries}
    assert legs == {("issuing", -5), ("villager", 5)}
    villager_leg = next(e for e in transfer.entries if e.account.kind == "villager")
    assert (villager_leg.reason, villager_leg.rule_code, villager_leg.rule_version) == ("参加环境整治", "HJZZ", 1)
    assert (villager_leg.source_type, villager_leg.source_id, villager_leg.expires_on) == (
        "submission",
        7,
        date(2027, 12, 31),
    )
    check_invariants()


def test_same_idempotency_key_books_once(villager):
    first = earn(villager, 5, idempotency_key="vote-1")
    again = earn(villager, 5, idempotency_key="vote-1")
    assert again.id == first.id
    assert balance(villager) == 5
    assert db.session.execute(select(Transfer).where(Transfer.kind == "earn")).scalars().all() == [first]


def test_same_key_for_a_different_booking_is_refused(villager):
    earn(villager, 5, idempotency_key="vote-1")
    with pytest.raises(KeyReused):
        earn(villager, 6, idempotency_key="vote-1")
    assert balance(villager) == 5


def test_spending_more_than_the_balance_is_refused_with_both_numbers(villager):
    earn(villager, 5)
    with pytest.raises(ledger.InsufficientPoints) as refused:
        spend(villager, 8)
    assert refused.value.params == {"balance": 5, "needed": 8}
    assert balance(villager) == 5
    check_invariants()


def test_spending_takes_the_oldest_points_first(villager):
    old = earn(villager, 5, expires_on=date(2027, 1, 31))
    new = earn(villager, 5, expires_on=date(2027, 12, 31))
    spend(villager, 7)
    remaining = dict(db.session.execute(select(Lot.transfer_id, Lot.remaining)).all())
    assert remaining == {old.id: 0, new.id: 3}
    check_invariants()


def test_reversing_a_spend_gives_back_the_same_lots_with_their_expiry(villager):
    old = earn(villager, 5, expires_on=date(2027, 1, 31))
    new = earn(villager, 5, expires_on=date(2027, 12, 31))
    sale = spend(villager, 7)
    reverse(sale.id)
    assert balance(villager) == 10
    remaining = dict(db.session.execute(select(Lot.transfer_id, Lot.remaining)).all())
    assert remaining == {old.id: 5, new.id: 5}
    check_invariants()


def test_a_transfer_is_reversed_only_once(villager):
    earned = earn(villager, 5)
    first = reverse(earned.id, idempotency_key="undo-1")
    assert reverse(earned.id, idempotency_key="undo-1").id == first.id
    with pytest.raises(ledger.AlreadyReversed):
        reverse(earned.id)
    with pytest.raises(ledger.NotReversible):
        reverse(first.id)
    assert balance(villager) == 0
    check_invariants()


def test_reversing_an_earn_needs_the_points_still_there(villager):
    earned = earn(villager, 5)
    spend(villager, 4)
    with pytest.raises(ledger.InsufficientPoints) as refused:
        reverse(earned.id)
    assert refused.value.params == {"balance": 1, "needed": 5}
    assert balance(villager) == 1


def test_reversing_an_earn_takes_its_own_lot_first(villager):
    older = earn(villager, 5, expires_on=date(2027, 1, 31))
    mistaken = earn(villager, 3, expires_on=date(2027, 12, 31))
    reverse(mistaken.id)
    remaining = dict(db.session.execute(select(Lot.transfer_id, Lot.remaining)).all())
    assert remaining == {older.id: 5, mistaken.id: 0}
    check_invariants()


def test_expiry_moves_due_lots_to_the_expiry_account_once(villager):
    earn(villager, 5, expires_on=date(2027, 1, 31))
    earn(villager, 4, expires_on=date(2027, 2, 28))
    earn(villager, 3)  # never expires
    assert ledger.expire_points(as_of=date(2027, 1, 31)).points == 0  # 31 January is still a spendable day
    report = ledger.expire_points(as_of=date(2027, 2, 1))
    assert (report.points, report.accounts) == (5, 1)
    assert ledger.expire_points(as_of=date(2027, 2, 1)).points == 0
    assert balance(villager) == 7
    assert ledger.expire_points(as_of=date(2030, 1, 1)).points == 4
    assert balance(villager) == 3
    check_invariants()
    assert ledger.verify_ledger().ok


def test_expiry_can_be_limited_to_one_village(villager):
    other = make_villager(make_village(), name="李四")
    earn(villager, 5, expires_on=date(2027, 1, 31))
    earn(other, 6, expires_on=date(2027, 1, 31))
    assert ledger.expire_points(as_of=date(2027, 6, 1), village_id=other.village_id).points == 6
    assert (balance(villager), balance(other)) == (5, 0)


def test_points_earned_between_counts_one_rule_by_earning_day_net_of_reversals(villager):
    earn(villager, 5, earned_on=date(2026, 11, 3))
    earn(villager, 5, earned_on=date(2026, 11, 30))
    undone = earn(villager, 4, earned_on=date(2026, 11, 10))
    earn(villager, 5, earned_on=date(2026, 12, 1))
    earn(villager, 2, earned_on=date(2026, 11, 5), rule_code="ZYFW")
    reverse(undone.id)
    spend(villager, 6)
    with write_transaction() as session:
        november = ledger.points_earned_between(
            session, villager_id=villager.id, rule_code="HJZZ", start=date(2026, 11, 1), end=date(2026, 11, 30)
        )
        ever = ledger.points_earned_between(
            session, villager_id=villager.id, rule_code="HJZZ", start=date.min, end=date.max
        )
    assert (november, ever) == (10, 15)


def test_earning_defaults_its_day_to_the_village_date(villager, monkeypatch):
    # 23:30 UTC on 30 November is already 1 December in the village.
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 30, 23, 30))
    earn(villager, 5)
    with write_transaction() as session:
        december = ledger.points_earned_between(
            session, villager_id=villager.id, rule_code="HJZZ", start=date(2026, 12, 1), end=date(2026, 12, 31)
        )
    assert december == 5


def test_amounts_must_be_positive(villager):
    with pytest.raises(InvalidInput):
        earn(villager, 0)
    with pytest.raises(InvalidInput):
        spend(villager, -3)


def test_balance_of_a_villager_without_bookings_is_zero(villager):
    assert balance(villager) == 0
    assert ledger.points_summary(villager_id=villager.id) == {"balance": 0, "expiring_soon": []}


def test_summary_lists_points_expiring_within_30_days(villager):
    today = clock.today()
    earn(villager, 5, expires_on=today + timedelta(days=3))
    earn(villager, 2, expires_on=today + timedelta(days=3))
    earn(villager, 4, expires_on=today + timedelta(days=29))
    earn(villager, 9, expires_on=today + timedelta(days=30))
    earn(villager, 1)
    summary = ledger.points_summary(villager_id=villager.id)
    assert summary == {
        "balance": 21,
        "expiring_soon": [
            {"amount": 7, "expires_on": today + timedelta(days=3)},
            {"amount": 4, "expires_on": today + timedelta(days=29)},
        ],
    }
