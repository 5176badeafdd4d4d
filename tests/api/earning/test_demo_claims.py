"""The demo part: reviewed and waiting claims in both villages, with points booked under the demo rules."""

from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import select

from backend import clock
from backend.demo import people, submissions
from backend.extensions import db
from backend.models import PointAward, Submission, Village
from tests.factories.submissions import publish_demo_points_rules

# Slow: demo loads, thread races and long property runs; `make test-fast` leaves them out.
pytestmark = pytest.mark.slow


def test_demo_town_has_reviewed_pending_flagged_and_assisted_claims(app, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 20, 4, 0))
    people.load(echo=lambda *_: None)
    for village in db.session.execute(select(Village)).scalars():
        publish_demo_points_rules(village)  # what the activities part publishes (slow to load in full here)
    lines: list[str] = []
    submissions.load(echo=lines.append)

    claims = db.session.execute(select(Submission).order_by(Submission.id)).scalars().all()
    statuses = Counter(c.status for c in claims)
    assert statuses["approved"] >= 4 and statuses["rejected"] >= 1 and statuses["pending"] >= 4, statuses
    assert {c.activity_type for c in claims} == {"photo", "speak"}
    assert sum(c.flagged for c in claims) == 2  # one copied photo per village
    assert [c.village_id for c in claims if c.assisted] == [claims[0].village_id]  # 东村 only: 西村 has one member
    approved = [c for c in claims if c.status == "approved"]
    assert all(c.rule_code in ("P01", "P06") for c in approved)
    booked = db.session.execute(select(PointAward).where(PointAward.source_type == "submission")).scalars().all()
    assert sum(a.amount for a in booked) == sum(c.points_awarded for c in approved) > 0
    assert all(c.decided_at > c.created_at for c in claims if c.decided_at)
    assert len(lines) == 2
