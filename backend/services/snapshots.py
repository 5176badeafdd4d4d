"""Monthly credit snapshots: every villager's score, level and rule version, recomputed set-based.

Per batch of villages: one query for the rule versions, one for the villagers, one for their entries; the
evaluation runs in Python per person; the month's rows are replaced by one bulk insert. Re-running a month
replaces its rows inside one transaction, so a month never holds a villager twice.
"""

import calendar
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import CreditSnapshot, Town, Village, Villager
from backend.services.credit import load_events, load_version_tables, tally_villager

VILLAGES_PER_BATCH = 20


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_as_of(month: date) -> date:
    """The day a month's snapshot describes: its last day, or today for the month under way."""
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return min(last, clock.today())


def villages_in(*, village_code: str | None = None, town_code: str | None = None) -> list[int]:
    """Village ids of one village, one town, or (neither given) every village."""
    stmt = select(Village.id).order_by(Village.id)
    if village_code:
        stmt = stmt.where(Village.code == village_code.upper())
    elif town_code:
        stmt = stmt.join(Town, Town.id == Village.town_id).where(Town.code == town_code.upper())
    return list(db.session.execute(stmt).scalars())


def compute_scores(session: Session, village_ids: Sequence[int], as_of: date) -> list[dict]:
    """Score and level of every active villager of the villages at `as_of` (three queries)."""
    tables = load_version_tables(session, village_ids)
    tables = {village_id: table for village_id, table in tables.items() if table.at(as_of) is not None}
    if not tables:
        return []
    people = session.execute(
        select(
            Villager.id, Villager.village_id, Villager.name, Villager.birth_date, Villager.group_name, Villager.is_head
        ).where(Villager.village_id.in_(list(tables)), Villager.status == "active")
    ).all()
    events = load_events(session, village_ids=list(tables))
    rows = []
    for person in people:
        tally = tally_villager(tables[person.village_id], person, events.get(person.id, []), as_of)
        rows.append(
            {
                "village_id": person.village_id,
                "villager_id": person.id,
                "score": tally.score,
                "level": tally.level.code,
                "rule_version": tally.current.version,
            }
        )
    return rows


def recompute_snapshots(
    *, village_ids: Sequence[int], month: date, progress: Callable[[int], None] | None = None
) -> dict:
    """Replace the month's snapshots of the villages with freshly computed ones; returns counts."""
    month = month_start(month)
    as_of = month_as_of(month)
    computed_at = clock.now()
    rows: list[dict] = []
    for start in range(0, len(village_ids), VILLAGES_PER_BATCH):
        batch = village_ids[start : start + VILLAGES_PER_BATCH]
        found = compute_scores(db.session, batch, as_of)
        rows.extend(found)
        if progress:
            progress(len(batch))
    db.session.rollback()  # end the read transaction before taking the write lock
    for row in rows:
        row.update(month=month, as_of=as_of, computed_at=computed_at)
    with write_transaction() as session:
        session.execute(
            delete(CreditSnapshot).where(CreditSnapshot.month == month, CreditSnapshot.village_id.in_(village_ids))
        )
        if rows:
            session.execute(insert(CreditSnapshot), rows)
    return {"month": month.strftime("%Y-%m"), "as_of": as_of, "villages": len(village_ids), "snapshots": len(rows)}
