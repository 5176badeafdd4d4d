"""Democratic evaluation (民主评议): polls, one ballot per adult or per household, results after close."""

from datetime import datetime

from sqlalchemy import func, select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, InvalidInput
from backend.extensions import db
from backend.models import Household, Poll, PollOption, PollVote, Villager
from backend.rules import age_on
from backend.services.access import STAFF_ROLES, Caller, bound_villager, check_village_in_scope, require_role, scope
from backend.services.audit import record_audit, snapshot
from backend.services.earning.awards import award_points
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.paging import paginate

ADULT_AGE = 18


class PollNotOpen(Conflict):
    status, message = "poll_not_open", "投票尚未开始，开始时间：%(opens_at)s。"


class PollClosed(Conflict):
    status, message = "poll_closed", "投票已于 %(closes_at)s 结束。"


class AlreadyVoted(Conflict):
    status, message = "already_voted", "您已投过票，每人只能投一票。"


class HouseholdAlreadyVoted(Conflict):
    status, message = "household_already_voted", "本户已由%(name)s投票，本次评议每户只能投一票。"


class NotEligible(Forbidden):
    status, message = "not_eligible", "年满 18 周岁的在册村民才能参加评议投票。"


class ResultsNotReady(Conflict):
    status, message = "results_not_ready", "投票结束后（%(closes_at)s）才公布结果。"


def _moment(value: datetime) -> str:
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M")


def create_poll(*, caller: Caller, village_id: int, options: list[str], **fields) -> Poll:
    """A poll with its options; who may vote (`mode`), when, and the quorum are fixed from the start."""
    require_role(caller, *STAFF_ROLES)
    if fields["closes_at"] <= fields["opens_at"]:
        raise InvalidInput(errors={"closes_at": ["结束时间须晚于开始时间"]})
    labels = [label.strip() for label in options]
    if len(set(labels)) != len(labels) or not all(labels):
        raise InvalidInput(errors={"options": ["选项不能为空，也不能重复"]})
    with write_transaction() as session:
        check_village_in_scope(caller, village_id)
        poll = Poll(village_id=village_id, created_by_id=caller.user_id or None, **fields)
        session.add(poll)
        session.flush()
        for position, label in enumerate(labels):
            session.add(PollOption(village_id=village_id, poll_id=poll.id, position=position, label=label))
        record_audit(
            session,
            actor=caller,
            action="poll.create",
            entity=poll,
            after={**snapshot(poll), "options": labels},
        )
        return poll


def list_polls(*, caller: Caller, village_id: int | None, limit: int, cursor: str | None) -> dict:
    """Villagers: their village's open polls. Staff: every poll they may see (optionally of one village)."""
    stmt = scope(select(Poll), Poll, caller)
    if caller.role == "villager":
        bound_villager(db.session, caller)
        now = clock.now()
        stmt = stmt.where(Poll.opens_at <= now, Poll.closes_at > now)
    elif village_id is not None:
        stmt = stmt.where(Poll.village_id == village_id)
    return paginate(stmt, Poll.id, limit=limit, cursor=cursor)


def cast_vote(*, caller: Caller, poll: Poll, option_id: int, claim: Claim | None = None) -> dict:
    """One ballot while the poll is open; books the rule set's points for voting."""
    with claimed_transaction(claim) as session:
        villager = bound_villager(session, caller, lock=True)
        now = clock.now()
        if now < poll.opens_at:
            raise PollNotOpen(opens_at=_moment(poll.opens_at))
        if now >= poll.closes_at:
            raise PollClosed(closes_at=_moment(poll.closes_at))
        option = session.get(PollOption, option_id)
        if option is None or option.poll_id != poll.id:
            raise InvalidInput(errors={"option_id": ["该选项不属于本次投票"]})
        if (
            villager.status != "active"
            or villager.birth_date is None
            or age_on(villager.birth_date, clock.today()) < ADULT_AGE
        ):
            raise NotEligible()
        ballot_key = _ballot_key(session, poll, villager)
        mine = session.execute(
            select(PollVote.id).where(PollVote.poll_id == poll.id, PollVote.villager_id == villager.id)
        )
        if mine.first() is not None:
            raise AlreadyVoted()
        earlier = session.execute(
            select(Villager.name)
            .join(PollVote, PollVote.villager_id == Villager.id)
            .where(PollVote.poll_id == poll.id, PollVote.ballot_key == ballot_key)
        ).scalar_one_or_none()
        if earlier is not None:
            raise HouseholdAlreadyVoted(name=earlier)
        vote = PollVote(
            village_id=poll.village_id,
            poll_id=poll.id,
            option_id=option.id,
            villager_id=villager.id,
            ballot_key=ballot_key,
        )
        session.add(vote)
        session.flush()
        award = award_points(
            session,
            villager=villager,
            activity_type="vote",
            facts={},
            on=clock.today(),
            source_type="poll_vote",
            source_id=vote.id,
            idempotency_key=f"poll:{poll.id}:villager:{villager.id}",
        )
        return {"poll_id": poll.id, "option_id": option.id, "points": award.amount, "explanation": award.explanation}


def _ballot_key(session, poll: Poll, villager: Villager) -> str:
    if poll.mode != "household" or villager.household_id is None:
        return f"v{villager.id}"
    # Household members vote in turn: the household row lock orders them on PostgreSQL.
    session.execute(select(Household.id).where(Household.id == villager.household_id).with_for_update())
    return f"h{villager.household_id}"


def poll_results(*, caller: Caller, poll: Poll) -> dict:
    """Counts, turnout and quorum after close; before close, staff see live turnout only."""
    closed = clock.now() >= poll.closes_at
    if not closed and caller.role not in STAFF_ROLES:
        raise ResultsNotReady(closes_at=_moment(poll.closes_at))
    counts = dict(
        db.session.execute(
            select(PollVote.option_id, func.count()).where(PollVote.poll_id == poll.id).group_by(PollVote.option_id)
        ).all()
    )
    ballots = sum(counts.values())
    eligible = _eligible_count(poll)
    turnout = round(100 * ballots / eligible, 1) if eligible else 0.0
    return {
        "poll_id": poll.id,
        "closed": closed,
        "mode": poll.mode,
        "eligible": eligible,
        "ballots": ballots,
        "turnout_percent": turnout,
        "quorum_percent": poll.quorum_percent,
        "quorum_met": eligible > 0 and ballots * 100 >= poll.quorum_percent * eligible,
        "options": [
            {"id": option.id, "label": option.label, "votes": counts.get(option.id, 0) if closed else None}
            for option in poll.options
        ],
    }


def _eligible_count(poll: Poll) -> int:
    """Adults on the roster at the close (or now, if earlier); in household mode, their households."""
    on = clock.local_date(min(clock.now(), poll.closes_at))
    rows = db.session.execute(
        select(Villager.id, Villager.household_id, Villager.birth_date).where(
            Villager.village_id == poll.village_id, Villager.status == "active", Villager.birth_date.is_not(None)
        )
    ).all()
    adults = [row for row in rows if age_on(row.birth_date, on) >= ADULT_AGE]
    if poll.mode == "household":
        return len({f"h{row.household_id}" if row.household_id else f"v{row.id}" for row in adults})
    return len(adults)
