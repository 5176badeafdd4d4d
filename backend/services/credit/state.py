"""Each villager's current credit state, kept so that gates read one row instead of re-scoring the history.

The state is what the pure evaluator says today (`backend.rules.credit_state`: score, level, version, gates and
the first day that may change them), stored with the inputs besides the entries it was computed from: how many
credit versions of the village were in force (`rules_key`) and a digest of the villager's facts (`facts_key`).
A read uses it while `as_of <= today < valid_until` and both keys still match; otherwise it evaluates afresh.

Writers keep it current: any transaction that adds or changes a credit entry recomputes its villager's state
before it commits (`track_credit_entries`, a session hook, so that no writer can forget), under the villager's
row lock, so that two writers of one villager's entries cannot leave the older answer behind. A reader that finds
the state stale stores the fresh one only if no writer stored one meanwhile (compare-and-set on `revision`).
"""

import hashlib
from dataclasses import asdict
from datetime import date

from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend import clock
from backend.extensions import db
from backend.models import CreditEntry, CreditState, RuleSet, Villager
from backend.rules import credit_state
from backend.services.credit.scores import IN_FORCE, credit_facts, load_events, load_version_tables
from backend.services.webhooks import publish_event

_states, _villagers, _rule_sets = CreditState.__table__, Villager.__table__, RuleSet.__table__
_PENDING = "credit_state_villagers"

# The number of the village's credit versions in force: a publish (or a rollback, which publishes a copy) adds one.
_RULES_KEY = (
    select(func.count())
    .where(
        _rule_sets.c.village_id == _villagers.c.village_id,
        _rule_sets.c.kind == "credit",
        _rule_sets.c.status.in_(IN_FORCE),
    )
    .scalar_subquery()
)
# Everything a gate needs, in one indexed read: the villager's standing, the facts the rules test, the kept state.
STATE_READ = (
    select(
        _villagers.c.id,
        _villagers.c.village_id,
        _villagers.c.status,
        _villagers.c.frozen,
        _villagers.c.name,
        _villagers.c.group_name,
        _villagers.c.is_head,
        _villagers.c.birth_date,
        _RULES_KEY.label("rules_in_force"),
        _states.c.score,
        _states.c.level,
        _states.c.rule_version,
        _states.c.blocked_by,
        _states.c.as_of,
        _states.c.valid_until,
        _states.c.rules_key,
        _states.c.facts_key,
        _states.c.revision,
    )
    .outerjoin(_states, _states.c.villager_id == _villagers.c.id)
    .where(_villagers.c.id == bindparam("villager_id"))
)


def facts_key(person) -> str:
    """A digest of the villager facts the rules may test (see backend.rules.villager_facts)."""
    text = f"{person.name}\x1f{person.group_name or ''}\x1f{bool(person.is_head)}\x1f{person.birth_date}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _next_birthday(birth: date | None, today: date) -> date | None:
    """The day the villager's age (a fact rules may test) next changes."""
    if birth is None:
        return None
    for year in (today.year, today.year + 1):
        try:
            day = birth.replace(year=year)
        except ValueError:  # 29 February in a common year: the age changes on 1 March
            day = date(year, 3, 1)
        if day > today:
            return day
    return None


def is_current(row, today: date) -> bool:
    """True when the kept state in `row` (from `STATE_READ`) still answers for `today`."""
    return (
        row.as_of is not None
        and row.as_of <= today
        and (row.valid_until is None or today < row.valid_until)
        and row.rules_key == row.rules_in_force
        and row.facts_key == facts_key(row)
    )


def read_state(session: Session, villager_id: int):
    """The villager's row with the kept state (columns of `STATE_READ`), or None when there is no such villager."""
    return session.execute(STATE_READ, {"villager_id": villager_id}).one_or_none()


def evaluate_state(session: Session, person, today: date) -> dict | None:
    """The fresh state of `person` (a `STATE_READ` row) as column values, or None when no credit rules are in force."""
    table = load_version_tables(session, [person.village_id]).get(person.village_id)
    if table is None or table.at(today) is None:
        return None
    events = load_events(session, villager_id=person.id).get(person.id, [])
    state = credit_state(table, events, as_of=today, villager_facts=credit_facts(person, events, today))
    valid_until = min(
        (day for day in (state.valid_until, _next_birthday(person.birth_date, today)) if day is not None), default=None
    )
    blocked = next((gate.label for gate in state.gates if gate.effect == "block_redemption"), None)
    return {
        "villager_id": person.id,
        "village_id": person.village_id,
        "score": state.score,
        "level": state.level,
        "rule_version": state.version,
        "blocked_by": blocked,
        "gates": [asdict(gate) for gate in state.gates],
        "as_of": today,
        "valid_until": valid_until,
        "rules_key": person.rules_in_force,
        "facts_key": facts_key(person),
        "computed_at": clock.now(),
    }


def current_state(session: Session, villager_id: int, *, keep: bool) -> tuple[object, dict | None]:
    """(villager row, state values) for today: the kept state when current, else a fresh evaluation.

    With `keep` (inside a write transaction) a fresh state is stored unless a writer stored one meanwhile.
    """
    today = clock.today()
    row = read_state(session, villager_id)
    if row is None:
        return None, None
    if is_current(row, today):
        return row, {
            "score": row.score,
            "level": row.level,
            "rule_version": row.rule_version,
            "blocked_by": row.blocked_by,
        }
    values = evaluate_state(session, row, today)
    if keep and values is not None:
        _store_if_unchanged(session, values, seen=row.revision)
        announce_level_change(session, row, values)
    return row, values


def announce_level_change(session: Session, row, values: dict) -> None:
    """Tell the village's webhook subscribers that a kept level changed (not a villager's first state)."""
    if row.level is None or row.level == values["level"]:
        return
    publish_event(
        session,
        event_type="credit.level_changed",
        village_id=row.village_id,
        key=f"villager:{row.id}:{row.level}->{values['level']}:{clock.today().isoformat()}",
        data={
            "villager_id": row.id,
            "from_level": row.level,
            "to_level": values["level"],
            "rule_version": values["rule_version"],
            "as_of": clock.today().isoformat(),
        },
    )


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _store_if_unchanged(session: Session, values: dict, *, seen: int | None) -> None:
    if seen is None:
        session.execute(_insert(session)(_states).values(**values, revision=1).on_conflict_do_nothing())
        return
    session.execute(
        update(_states)
        .where(_states.c.villager_id == values["villager_id"], _states.c.revision == seen)
        .values(**values, revision=seen + 1)
    )


def refresh_credit_states(session: Session, villager_ids) -> None:
    """Recompute and store the states of these villagers now, in the caller's transaction, under their row locks."""
    today = clock.today()
    for villager_id in sorted(set(villager_ids)):
        session.execute(select(_villagers.c.id).where(_villagers.c.id == villager_id).with_for_update())
        row = read_state(session, villager_id)
        if row is None:
            continue
        values = evaluate_state(session, row, today)
        if values is None:
            session.execute(_states.delete().where(_states.c.villager_id == villager_id))
            continue
        announce_level_change(session, row, values)
        stmt = _insert(session)(_states).values(**values, revision=1)
        changed = {name: stmt.excluded[name] for name in values if name != "villager_id"}
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[_states.c.villager_id], set_={**changed, "revision": _states.c.revision + 1}
            )
        )


def track_credit_entries() -> None:
    """Refresh the credit state of every villager whose entries a transaction changed, before it commits."""
    if not event.contains(Session, "after_flush", _note_changed_entries):
        event.listen(Session, "after_flush", _note_changed_entries)
        event.listen(Session, "before_commit", _refresh_before_commit)
        event.listen(Session, "after_rollback", _forget_pending)


def _note_changed_entries(session: Session, _context) -> None:
    changed = {
        obj.villager_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, CreditEntry) and obj.villager_id is not None
    }
    if changed:
        session.info.setdefault(_PENDING, set()).update(changed)


def _refresh_before_commit(session: Session) -> None:
    session.flush()  # the hook sees every change of this transaction, flushed or not yet
    pending = session.info.pop(_PENDING, None)
    if pending:
        refresh_credit_states(session, pending)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def credit_summary(villager: Villager) -> dict | None:
    """`{score, level}` today, or None while the village has no credit rules (for the profile; reads only)."""
    _row, values = current_state(db.session, villager.id, keep=False)
    return None if values is None else {"score": values["score"], "level": values["level"]}


def redemption_block(session: Session, villager_id: int) -> tuple[object, str | None]:
    """(villager row, label of a credit gate in force that blocks redemption or None); inside a write transaction."""
    row, values = current_state(session, villager_id, keep=True)
    return row, (values or {}).get("blocked_by")
