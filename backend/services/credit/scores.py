"""Credit scores: load a village's credit rule versions and people's entries set-based, evaluate, explain.

Everything here reads; the workflows that write entries live in credit_entries, dishonesty and repair, and the
monthly snapshots in snapshots. Loading is set-based (a few queries per village or town, never one per person)
so that the same functions serve one villager's page, a village simulation and a city-wide recompute.
"""

import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from operator import attrgetter
from types import MappingProxyType

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from backend import clock
from backend.errors import Conflict, InvalidInput
from backend.extensions import db
from backend.models import CreditEntry, CreditSnapshot, RuleSet, Villager
from backend.rules import (
    CompiledRuleSet,
    CreditEvent,
    CreditScore,
    VersionTable,
    evaluate_credit,
    score_credit,
    villager_facts,
)
from backend.rules.events import NO_FACTS
from backend.services.access import Caller, bound_villager
from backend.services.rulesets import compiled_document

IN_FORCE = ("published", "superseded")
LOADED_STATUSES = ("counted", "frozen", "revoked")


class NoCreditRules(Conflict):
    status, message = "no_credit_rules", "本村尚未发布信用规则集，暂时不能计算信用分。"


class NoCreditRulesOnDate(InvalidInput):
    status, message = "no_credit_rules_on_date", "%(day)s 时本村还没有生效的信用规则集。"


def load_version_tables(session: Session, village_ids: Iterable[int]) -> dict[int, VersionTable]:
    """Every published credit version of each village, as the evaluator's version table (one query)."""
    stmt = select(RuleSet.village_id, RuleSet.document).where(
        RuleSet.village_id.in_(list(village_ids)), RuleSet.kind == "credit", RuleSet.status.in_(IN_FORCE)
    )
    documents: dict[int, list] = defaultdict(list)
    for village_id, document in session.execute(stmt):
        documents[village_id].append(compiled_document(document))
    return {village_id: VersionTable(versions) for village_id, versions in documents.items()}


def version_table(session: Session, village_id: int) -> VersionTable:
    """The village's published credit versions, or 409 when there is none."""
    table = load_version_tables(session, [village_id]).get(village_id)
    if table is None:
        raise NoCreditRules()
    return table


def version_on(session: Session, village_id: int, day: date) -> CompiledRuleSet:
    """The credit version in force on `day` (the one an entry of that date is scored under); 422 if none."""
    version = version_table(session, village_id).at(day)
    if version is None:
        raise NoCreditRulesOnDate(day=day.isoformat())
    return version


EVENT_COLUMNS = (
    CreditEntry.villager_id,
    # The rest in CreditEvent's field order, so that a row becomes an event without naming each field.
    CreditEntry.id,
    CreditEntry.occurred_on,
    CreditEntry.rule_code,
    CreditEntry.kind,
    CreditEntry.counts_from,
    CreditEntry.quantity,
    CreditEntry.amount,
    CreditEntry.status,
    CreditEntry.target_id,
    CreditEntry.list_kind,
    CreditEntry.ends_on,
    CreditEntry.source,
    # As text: psycopg would otherwise decode every row's JSON, most of them "{}", which cost more than scoring.
    cast(CreditEntry.facts, Text),
)
_DAYS: dict[str, date] = {}
_FACTS: dict[str, Mapping] = {"{}": NO_FACTS}


def _day(value: str) -> date:
    # SQLite hands dates back as ISO text; a village's events share few distinct days, so parse each once.
    if len(_DAYS) > 100_000:
        _DAYS.clear()
    found = _DAYS[value] = date.fromisoformat(value)
    return found


def _facts(value: str | None) -> Mapping:
    # Facts repeat (the same hours, the same honour level); one read-only mapping serves every repeat.
    if not value or value == "{}":
        return NO_FACTS
    if len(_FACTS) > 10_000:
        _FACTS.clear()
        _FACTS["{}"] = NO_FACTS
    found = _FACTS[value] = MappingProxyType(json.loads(value))
    return found


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while bulk rows and events are built and scored.

    A batch creates millions of small tuples, none of them in a cycle; every few hundred allocations the
    collector would otherwise walk all the live ones again, which cost more than building them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_events(
    session: Session, *, village_ids: Iterable[int] | None = None, villager_id: int | None = None
) -> dict[int, list[CreditEvent]]:
    """Every loaded entry of the villages (or of one villager), grouped by villager id (one query).

    The rows are read through the driver without the ORM's per-value processing: a city-wide recompute reads
    millions of them, and their conversion, not the scoring, would otherwise dominate.
    """
    stmt = select(*EVENT_COLUMNS).where(CreditEntry.status.in_(LOADED_STATUSES))
    if villager_id is not None:
        stmt = stmt.where(CreditEntry.villager_id == int(villager_id))
    else:
        stmt = stmt.where(CreditEntry.village_id.in_([int(v) for v in village_ids or []] or [-1]))
    connection = session.connection()
    # Only integers and fixed status words are inlined, so literal binds are safe here.
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    events: dict[int, list[CreditEvent]] = defaultdict(list)
    make, days, known_facts = tuple.__new__, _DAYS, _FACTS
    text_dates = bool(rows) and isinstance(rows[0][2], str)
    # Named locals and one tuple per row: the cheapest way to Python objects for millions of rows.
    for (
        owner,
        entry_id,
        occurred_on,
        rule_code,
        kind,
        counts_from,
        quantity,
        amount,
        status,
        target_id,
        list_kind,
        ends_on,
        source,
        facts_text,
    ) in rows:
        if text_dates:
            occurred_on = days.get(occurred_on) or _day(occurred_on)
            if counts_from is not None:
                counts_from = days.get(counts_from) or _day(counts_from)
            if ends_on is not None:
                ends_on = days.get(ends_on) or _day(ends_on)
        facts = known_facts.get(facts_text)
        if facts is None:
            facts = _facts(facts_text)
        events[owner].append(
            make(
                CreditEvent,
                (
                    entry_id,
                    occurred_on,
                    rule_code,
                    kind,
                    counts_from,
                    quantity,
                    amount,
                    status,
                    target_id,
                    list_kind,
                    ends_on,
                    source,
                    facts,
                ),
            )
        )
    return events


_KIND = attrgetter("kind")


def lists_on(events: Sequence[CreditEvent], as_of: date) -> set[str] | tuple:
    """The kinds of dishonesty list ("court", "village") a villager's entries put them on, on `as_of`."""
    # Few people are on a list; looking for one list entry runs in C, so most people skip the Python loop.
    if "dishonesty" not in map(_KIND, events):
        return ()
    return {
        event.list_kind
        for event in events
        if event.kind == "dishonesty"
        and event.status == "counted"
        and event.occurred_on <= as_of
        and (event.ends_on is None or as_of <= event.ends_on)
    }


def credit_facts(villager, events: Sequence[CreditEvent], as_of: date) -> dict:
    """The villager facts of a credit evaluation on `as_of`, list membership taken from their entries."""
    return villager_facts(villager, as_of, lists=lists_on(events, as_of))


def evaluate_villager(session: Session, villager: Villager, *, as_of: date):
    """The full evaluation (lines, gates, reasons) of one villager at `as_of`."""
    table = version_table(session, villager.village_id)
    if table.at(as_of) is None:
        raise NoCreditRules()
    events = load_events(session, villager_id=villager.id).get(villager.id, [])
    return evaluate_credit(table, events, as_of=as_of, villager_facts=credit_facts(villager, events, as_of))


def score_villager(table: VersionTable, villager, events: list[CreditEvent], as_of: date) -> CreditScore:
    """Score, level and version only: what snapshots and the profile need."""
    return score_credit(table, events, as_of=as_of, villager_facts=credit_facts(villager, events, as_of))


def credit_report(*, villager: Villager) -> dict:
    """A villager's credit today, itemised and explained, with the monthly history of snapshots."""
    session = db.session
    result = evaluate_villager(session, villager, as_of=clock.today()).to_dict()
    history = session.execute(
        select(CreditSnapshot).where(CreditSnapshot.villager_id == villager.id).order_by(CreditSnapshot.month)
    ).scalars()
    result["villager_id"] = villager.id
    result["history"] = [
        {"month": s.month.strftime("%Y-%m"), "score": s.score, "level": s.level, "rule_version": s.rule_version}
        for s in history
    ]
    return result


def get_my_credit(*, caller: Caller) -> dict:
    """The signed-in villager's own credit report."""
    return credit_report(villager=bound_villager(db.session, caller))
