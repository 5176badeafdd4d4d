"""Real threads against the database: the last seat of an event and a household's one ballot go to one person."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.errors import AppError
from backend.extensions import db
from backend.models import Event, EventCheckIn, Poll, PollVote, User
from backend.services.access import Caller
from backend.services.earning.events import check_in, current_code
from backend.services.earning.polls import cast_vote
from tests.factories import make_villager, make_villager_user
from tests.factories.activities import make_event, make_poll
from tests.factories.clock import START

# Slow: demo loads, thread races and long property runs; `make test-fast` leaves them out.
pytestmark = pytest.mark.slow


def _race(app, users, attempt) -> list[str]:
    """Run `attempt(caller)` for every user at once; the outcome of each: "ok" or the refusal's status."""
    outcomes, barrier = [], threading.Barrier(len(users))
    callers = [Caller.of(user) for user in users]

    def work(caller):
        with app.app_context():
            barrier.wait()
            try:
                attempt(caller)
                outcomes.append("ok")
            except AppError as error:
                outcomes.append(error.status)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(caller,)) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.rollback()  # end the main thread's read snapshot, so that it sees what the threads wrote
    return sorted(outcomes)


def test_only_capacity_many_of_a_crowd_get_in(app, world, frozen):
    event = make_event(world.village, starts_at=START - timedelta(minutes=5), capacity=3)
    token, event_id = current_code(event)["token"], event.id
    crowd = [make_villager_user(make_villager(world.village, name=f"村民{n}")) for n in range(8)]

    def attempt(caller):
        check_in(caller=caller, event=db.session.get(Event, event_id), token=token, latitude=None, longitude=None)

    assert _race(app, crowd, attempt) == ["event_full"] * 5 + ["ok"] * 3
    count = db.session.execute(select(func.count()).select_from(EventCheckIn)).scalar()
    assert count == 3


def test_household_members_voting_at_once_cast_one_ballot(app, world, frozen):
    poll = make_poll(
        world.village, mode="household", opens_at=START - timedelta(hours=1), closes_at=START + timedelta(days=1)
    )
    members = [world.user, world.spouse_user]
    members += [
        make_villager_user(make_villager(world.village, household=world.household, is_head=False)) for _ in range(2)
    ]
    poll_id, option_id = poll.id, poll.options[0].id

    def attempt(caller):
        cast_vote(caller=caller, poll=db.session.get(Poll, poll_id), option_id=option_id)

    assert _race(app, members, attempt) == ["household_already_voted"] * 3 + ["ok"]
    assert db.session.execute(select(func.count()).select_from(PollVote)).scalar() == 1


def test_one_villager_double_tapping_votes_once(app, world, frozen):
    poll = make_poll(world.village, opens_at=START - timedelta(hours=1), closes_at=START + timedelta(days=1))
    user = db.session.get(User, world.user.id)
    poll_id, option_id = poll.id, poll.options[1].id

    def attempt(caller):
        cast_vote(caller=caller, poll=db.session.get(Poll, poll_id), option_id=option_id)

    assert _race(app, [user] * 4, attempt) == ["already_voted"] * 3 + ["ok"]


def test_two_drafts_published_at_once_leave_one_version_published(app, world, frozen):
    from backend.models import RuleSet
    from backend.services.rulesets.versions import create_rule_set_draft, publish_rule_set

    drafts = [
        create_rule_set_draft(caller=Caller.of(world.cw1), village_id=world.village.id, kind="points").id
        for _ in range(2)
    ]
    publisher = db.session.get(User, world.cw2.id)
    pending = list(drafts)

    def attempt(caller):
        publish_rule_set(caller=caller, rule_set=db.session.get(RuleSet, pending.pop()), effective_from=START.date())

    assert _race(app, [publisher, publisher], attempt) == ["ok", "ok"]
    statuses = db.session.execute(select(RuleSet.version, RuleSet.status).order_by(RuleSet.version)).all()
    assert [status for _, status in statuses].count("published") == 1
    assert sorted(status for _, status in statuses) == ["published", "superseded", "superseded"]
