"""Monthly credit snapshots: every villager's score, level and rule version, recomputed set-based.

Per batch of villages: one query for the rule versions, one for the villagers, one for their entries; the
lean evaluation (score, level, version) runs in Python per person, in forked worker processes when there are
several batches and cores; each batch's rows go in with one bulk insert (COPY on PostgreSQL). Re-running a
month replaces its rows inside one transaction, so a month never holds a villager twice.
"""

import calendar
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date
from itertools import chain

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import CreditSnapshot, Town, Village, Villager
from backend.services.credit.scores import gc_paused, load_events, load_version_tables, score_villager
from backend.settings import current_settings

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


def compute_scores(session: Session, village_ids: Sequence[int], as_of: date) -> list[tuple]:
    """(village id, villager id, score, level, rule version) of every active villager at `as_of` (three queries)."""
    with gc_paused():
        return _compute_scores(session, village_ids, as_of)


def _compute_scores(session: Session, village_ids: Sequence[int], as_of: date) -> list[tuple]:
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
    no_events: list = []
    for person in people:
        found = score_villager(tables[person.village_id], person, events.get(person.id, no_events), as_of)
        rows.append((person.village_id, person.id, found.score, found.level, found.version))
    return rows


SNAPSHOT_COLUMNS = ("village_id", "villager_id", "score", "level", "rule_version", "month", "as_of", "computed_at")


def insert_snapshots(session: Session, rows: Sequence[tuple], *, month: date, as_of: date, computed_at) -> None:
    """Bulk-insert computed rows (COPY on PostgreSQL, one executemany elsewhere) in the session's transaction."""
    connection = session.connection()
    raw = connection.connection.driver_connection
    table = CreditSnapshot.__tablename__
    columns = ", ".join(SNAPSHOT_COLUMNS)
    tail = (month, as_of, computed_at)
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + tail)
        return
    # The ORM's insert would build a parameter dict per row; the driver takes plain tuples, in SQLAlchemy's
    # storage format for SQLite dates and times.
    tail = (month.isoformat(), as_of.isoformat(), computed_at.strftime("%Y-%m-%d %H:%M:%S.%f"))
    marks = ", ".join("?" * len(SNAPSHOT_COLUMNS))
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", [row + tail for row in rows])  # noqa: S608 - names are constants
    finally:
        cursor.close()


def recompute_snapshots(
    *, village_ids: Sequence[int], month: date, progress: Callable[[int], None] | None = None
) -> dict:
    """Replace the month's snapshots of the villages with freshly computed ones; returns counts."""
    month = month_start(month)
    as_of = month_as_of(month)
    computed_at = clock.now()
    batches = split_batches(village_ids, _worker_count())
    db.session.rollback()  # end any read transaction: batches may be scored in other processes
    scored = _score_batches(batches, as_of)
    done: list[tuple[int, list[tuple]]]
    if db.engine.dialect.name != "postgresql":
        # SQLite has one writer: score everything first, so that the write lock is held only for the insert.
        done = list(scored)
        db.session.rollback()  # end the read transaction before taking the write lock
    else:
        # PostgreSQL keeps readers and other writers going, so each batch is copied in as it comes, overlapping
        # the inserts (their foreign-key checks cost about a second per 100,000 rows) with the scoring.
        done = [next(scored)] if batches else []  # worker processes (if any) are forked by now
    count = 0
    with write_transaction() as session:
        session.execute(
            delete(CreditSnapshot).where(CreditSnapshot.month == month, CreditSnapshot.village_id.in_(village_ids))
        )
        for size, rows in chain(done, scored):
            if rows:
                insert_snapshots(session, rows, month=month, as_of=as_of, computed_at=computed_at)
            count += len(rows)
            if progress:
                progress(size)
    return {"month": month.strftime("%Y-%m"), "as_of": as_of, "villages": len(village_ids), "snapshots": count}


def split_batches(village_ids: Sequence[int], workers: int) -> list[Sequence[int]]:
    """Batches of at most VILLAGES_PER_BATCH villages, their number a multiple of `workers` so none waits idle."""
    count = -(-len(village_ids) // VILLAGES_PER_BATCH)
    if workers > 1 and count > 1:
        count = -(-count // workers) * workers
    size = -(-len(village_ids) // max(count, 1)) or 1
    return [village_ids[start : start + size] for start in range(0, len(village_ids), size)]


def _score_batches(batches: list[Sequence[int]], as_of: date) -> Iterator[tuple[int, list[tuple]]]:
    """(villages, rows) per batch: here, or in forked worker processes when there are several batches and cores."""
    workers = min(len(batches), _worker_count())
    if workers < 2:
        for batch in batches:
            yield len(batch), compute_scores(db.session, batch, as_of)
        return
    # Forked children must not share the parent's open connections (a PostgreSQL socket, an SQLite file
    # handle); the pool is emptied first and each child opens its own.
    db.session.remove()
    db.engine.dispose()
    app = current_app._get_current_object()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(app,)) as pool:
        futures = {pool.submit(_score_batch, batch, as_of): len(batch) for batch in batches}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _worker_count() -> int:
    configured = current_settings().credit_recompute_workers
    if configured is not None:
        return configured
    if "fork" not in multiprocessing.get_all_start_methods() or db.engine.url.database in (None, "", ":memory:"):
        return 1
    return os.cpu_count() or 1


def _start_worker(app) -> None:
    app.app_context().push()  # for the life of the worker process


def _score_batch(batch: Sequence[int], as_of: date) -> list[tuple]:
    try:
        return compute_scores(db.session, batch, as_of)
    finally:
        db.session.remove()
