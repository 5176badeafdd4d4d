"""Factories for rule sets, polls, lessons and events; each commits what it makes."""

import copy
import secrets
from datetime import date, datetime, timedelta

from backend.extensions import db
from backend.models import Event, Lesson, Poll, PollOption, RuleSet, Village
from backend.rules import load_demo_rule_set


def points_document(**changes) -> dict:
    """The demo points rule set (P01 photo ... P06 speak), with top-level changes.

    Without the demo's badges unless `badges=` is given: their bonus points would blur what these tests count.
    """
    document = copy.deepcopy(load_demo_rule_set("points_qt"))
    document["badges"] = []
    document.update(changes)
    return document


def make_rule_set(
    village: Village,
    *,
    document: dict | None = None,
    status: str = "published",
    version: int = 1,
    effective_from: date | None = date(2026, 1, 1),
    drafted_by_id: int | None = None,
) -> RuleSet:
    document = copy.deepcopy(document or points_document())
    document.update(version=version, effective_from=effective_from.isoformat() if effective_from else None)
    rule_set = RuleSet(
        village_id=village.id,
        kind=document["kind"],
        version=version,
        status=status,
        effective_from=effective_from if status != "draft" else None,
        document=document,
        drafted_by_id=drafted_by_id,
    )
    db.session.add(rule_set)
    db.session.commit()
    return rule_set


def make_poll(
    village: Village,
    *,
    opens_at: datetime,
    closes_at: datetime,
    mode: str = "adult",
    options: tuple[str, ...] = ("同意", "不同意"),
    quorum_percent: int = 50,
    question: str = "是否同意评选张三为文明户？",
) -> Poll:
    poll = Poll(
        village_id=village.id,
        question=question,
        mode=mode,
        opens_at=opens_at,
        closes_at=closes_at,
        quorum_percent=quorum_percent,
    )
    db.session.add(poll)
    db.session.flush()
    for position, label in enumerate(options):
        db.session.add(PollOption(village_id=village.id, poll_id=poll.id, position=position, label=label))
    db.session.commit()
    return poll


QUIZ = [
    {"text": "垃圾分类中，废旧电池属于哪一类？", "options": ["可回收物", "有害垃圾", "其他垃圾"], "answer": 1},
    {"text": "发现火情应拨打哪个电话？", "options": ["110", "119", "120"], "answer": 1},
    {"text": "村规民约由谁讨论通过？", "options": ["村民会议", "村支书一人", "镇政府"], "answer": 0},
]


def make_lesson(village: Village, *, title: str = "垃圾分类与消防安全", pass_mark: int = 2, questions=None) -> Lesson:
    lesson = Lesson(
        village_id=village.id,
        title=title,
        content="垃圾分四类……发现火情拨打 119……",
        questions=copy.deepcopy(questions or QUIZ),
        pass_mark=pass_mark,
    )
    db.session.add(lesson)
    db.session.commit()
    return lesson


def make_event(
    village: Village,
    *,
    starts_at: datetime,
    hours: float = 2,
    kind: str = "patrol",
    award_at: str = "check_in",
    capacity: int | None = None,
    geofence: tuple[float, float, int] | None = None,
    title: str = "周末平安巡逻",
) -> Event:
    latitude, longitude, radius = geofence or (None, None, None)
    event = Event(
        village_id=village.id,
        title=title,
        kind=kind,
        place="村委会门口",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        hours=hours,
        latitude=latitude,
        longitude=longitude,
        radius_m=radius,
        capacity=capacity,
        award_at=award_at,
        qr_secret=secrets.token_hex(32),
    )
    db.session.add(event)
    db.session.commit()
    return event


def _once(world, key: str, make) -> int:
    if key not in world.objects:
        world.objects[key] = make().id
    return world.objects[key]


def activity_object_factories(marker: str) -> dict:
    """Path parameter -> an object of the authorisation matrix's other village, its names carrying `marker`."""
    from backend import clock

    now = clock.now()
    return {
        "rule_set_id": lambda world: _once(
            world, "rule_set", lambda: make_rule_set(world.village, document=points_document(name=f"{marker}规则"))
        ),
        "poll_id": lambda world: _once(
            world,
            "poll",
            lambda: make_poll(
                world.village, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1), question=marker
            ),
        ),
        "lesson_id": lambda world: _once(world, "lesson", lambda: make_lesson(world.village, title=marker)),
        "event_id": lambda world: _once(world, "event", lambda: make_event(world.village, starts_at=now, title=marker)),
    }
