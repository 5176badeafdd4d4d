"""The events that notify a villager: claims decided, notices naming them, objections and repairs decided, expiry."""

from datetime import date, datetime

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import Notification, Villager
from backend.services.access import Caller
from backend.services.credit.entries import decide_objection, object_to_entry, record_violation
from backend.services.earning.awards import award_points
from backend.services.notifications.reminders import remind_expiring_points
from tests.conftest import body
from tests.factories import make_staff, make_village, make_villager, make_villager_user
from tests.factories.credit import make_credit_rule_set
from tests.factories.submissions import Village as ReviewVillage
from tests.factories.submissions import make_photo


def notes(villager_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Notification.title, Notification.body)
        .where(Notification.villager_id == villager_id)
        .order_by(Notification.id)
    ).all()
    return [tuple(row) for row in rows]


def test_an_approved_and_a_rejected_claim_are_notified(client):
    v = ReviewVillage(client)
    approved = v.submit_photo(make_photo(1))
    rejected = v.submit_photo(make_photo(2))
    v.decide(approved["id"], "approve", v.cw1, amount=3)
    v.decide(rejected["id"], "reject", v.cw1, reason="照片看不清")
    titles = [title for title, _ in notes(v.villager.id) if title.startswith("申报")]
    assert titles == ["申报已通过", "申报未通过"]
    assert ("申报未通过", "您的拍一拍申报未通过：照片看不清。如有异议可申诉一次。") in notes(v.villager.id)
    mine = body(client.get("/api/v1/me/notifications?unread=true", headers=v.headers))
    assert mine["unread"] >= 2


def test_a_deduction_in_notice_and_the_objections_outcome_are_notified(app, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 10, 2, 0))
    village = make_village()
    make_credit_rule_set(village)
    villager = make_villager(village, name="王大明")
    user = make_villager_user(villager)
    committee = Caller.of(make_staff("committee", village=village))
    entry = record_violation(
        caller=committee,
        villager=villager,
        rule_code="R01",
        occurred_on=date(2026, 3, 9),
        note=None,
        evidence_text=None,
        file_ids=[],
    )
    object_to_entry(caller=Caller.of(user), entry=entry, reason="当天我不在村里")
    decide_objection(caller=committee, entry=entry, upheld=True, note="经核实确不在场")
    (notice, decision) = notes(villager.id)
    assert notice[0] == "扣分公示" and "2026年3月16日前可提出异议" in notice[1]
    assert decision == ("异议处理结果", "异议成立，该记录已撤销。经核实确不在场")


def test_points_about_to_expire_are_reminded_30_and_7_days_before_once_each(app, monkeypatch):
    from tests.factories.activities import make_rule_set

    village = make_village()
    make_rule_set(village)
    villager = make_villager(village)
    with write_transaction() as session:
        award_points(
            session,
            villager=session.get(Villager, villager.id),
            activity_type="vote",
            facts={},
            on=date(2026, 1, 5),
            source_type="test",
            source_id=1,
            idempotency_key="old",
        )
    # Earned in 2026: last day 2027-12-31.
    for moment, expected in (
        (datetime(2027, 11, 30, 2), 0),
        (datetime(2027, 12, 2, 2), 1),
        (datetime(2027, 12, 3, 2), 0),
        (datetime(2027, 12, 25, 2), 1),
    ):
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        assert remind_expiring_points() == expected, moment
    reminders = [text for title, text in notes(villager.id) if title == "积分即将到期"]
    assert reminders == ["您有 2 积分将于2027年12月31日到期，请及时到积分超市兑换。"] * 2
