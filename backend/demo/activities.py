"""Demo rule sets, polls, lessons and events with a few months of votes, completions and check-ins.

Past activities are booked through `award_points` with their own dates, so balances, caps and expiry dates
are what the rules would have given at the time.
"""

import random
import secrets
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.models import (
    Event,
    EventCheckIn,
    Lesson,
    LessonAttempt,
    Poll,
    PollOption,
    PollVote,
    User,
    Village,
    Villager,
)
from backend.rules import age_on, load_demo_rule_set
from backend.services.access import Caller
from backend.services.earning.awards import award_points
from backend.services.rulesets.versions import create_rule_set_draft, publish_rule_set

MONTHS_OF_HISTORY = 6
POLLS = [
    ("2026 年度“五好家庭”评选：是否同意推荐第三村民小组王家？", ["同意", "不同意", "弃权"], "household"),
    ("村道路灯安装方案：选择哪一种？", ["太阳能路灯", "市电路灯", "暂不安装"], "adult"),
    ("是否同意将村集体收益的 10% 用于积分超市奖品？", ["同意", "不同意"], "adult"),
    ("村规民约修订：是否增加“禁止焚烧秸秆”条款？", ["同意", "不同意", "弃权"], "household"),
]
LESSONS = [
    (
        "垃圾分类，从我做起",
        "我市生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类。废旧电池、过期药品属于有害垃圾……",
        [
            ("废旧电池属于哪一类垃圾？", ["可回收物", "有害垃圾", "其他垃圾"], 1),
            ("剩饭剩菜应投放到哪个桶？", ["厨余垃圾", "可回收物", "其他垃圾"], 0),
            ("旧报纸属于？", ["其他垃圾", "有害垃圾", "可回收物"], 2),
        ],
    ),
    (
        "防范电信诈骗",
        "凡是自称“公检法”要求转账到“安全账户”的，都是诈骗。接到可疑电话请拨打 96110 咨询……",
        [
            ("“公检法”要求转账到安全账户，应当？", ["立即转账", "挂断并报警", "先转一半"], 1),
            ("反诈咨询电话是？", ["96110", "12345", "10086"], 0),
        ],
    ),
    (
        "森林防火与消防安全",
        "清明、冬季是火灾高发期。进山不带火种，不在野外烧纸、烧秸秆。发现火情立即拨打 119……",
        [
            ("发现火情应拨打？", ["110", "119", "120"], 1),
            ("上山祭扫可以？", ["带鲜花", "烧纸钱", "放鞭炮"], 0),
            ("秸秆应当？", ["就地焚烧", "综合利用", "倒入河道"], 1),
        ],
    ),
    (
        "村规民约学习",
        "本村村规民约经村民会议讨论通过，涉及环境卫生、邻里和睦、移风易俗、平安建设等内容……",
        [
            ("村规民约由谁讨论通过？", ["村民会议", "村支书", "镇政府"], 0),
            ("红白喜事应当？", ["大操大办", "从简办理", "互相攀比"], 1),
        ],
    ),
]
EVENT_PLACES = {"patrol": "村委会门口集合", "volunteer": "村文化礼堂"}


def load(*, echo=print) -> None:
    rng = random.Random(20261124)
    today = clock.today()
    start = _month_start(today, MONTHS_OF_HISTORY)
    users = {user.username: user for user in _all(select(User).where(User.username.is_not(None)))}
    for village in _all(select(Village).order_by(Village.code)):
        prefix = village.code.lower()
        committee = [users[name] for name in (f"{prefix}-cw1", f"{prefix}-cw2") if name in users]
        drafter = committee[0]
        # 西村 has one committee member: the town admin publishes (the drafter may not publish their own draft).
        publisher = committee[1] if len(committee) > 1 else users["qt-town"]
        draft = create_rule_set_draft(
            caller=Caller.of(drafter), village_id=village.id, kind="points", document=load_demo_rule_set("points_qt")
        )
        publish_rule_set(caller=Caller.of(publisher), rule_set=draft, effective_from=start)
        people = _all(select(Villager).where(Villager.village_id == village.id).order_by(Villager.id))
        bound = set(_all(select(User.villager_id).where(User.village_id == village.id, User.villager_id.is_not(None))))
        # Tapping and scanning need the mini-program, so only villagers bound to WeChat take part.
        people = [v for v in people if v.id in bound]
        keen = {v.id: rng.uniform(0.85, 1.0) for v in people}
        counts = [
            _polls(rng, village, drafter, people, keen, start, today),
            _lessons(rng, village, drafter, people, keen, start, today),
            _events(rng, village, drafter, people, keen, start, today),
        ]
        echo(
            f"  {village.name} ({village.code}): points rules v1 from {start}; {counts[0]} votes, "
            f"{counts[1]} lessons passed, {counts[2]} check-ins"
        )


def _all(stmt) -> list:
    from backend.extensions import db

    return list(db.session.execute(stmt).scalars())


def _month_start(today: date, months_back: int) -> date:
    index = today.year * 12 + today.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _utc(day: date, hour: int) -> datetime:
    """A village wall-clock hour on `day` as naive UTC (the village is UTC+8)."""
    return datetime.combine(day, time(hour)) - timedelta(hours=8)


def _polls(rng, village, author, people, keen, start, today) -> int:
    votes = 0
    span = (today - start).days
    for number, (question, labels, mode) in enumerate(POLLS):
        is_open = number == len(POLLS) - 1
        opens = today - timedelta(days=2) if is_open else start + timedelta(days=span * (number + 1) // len(POLLS) - 10)
        closes = today + timedelta(days=7) if is_open else opens + timedelta(days=5)
        with write_transaction() as session:
            poll = Poll(
                village_id=village.id,
                question=question,
                mode=mode,
                opens_at=_utc(opens, 8),
                closes_at=_utc(closes, 20),
                quorum_percent=50,
                created_by_id=author.id,
            )
            session.add(poll)
            session.flush()
            options = [
                PollOption(village_id=village.id, poll_id=poll.id, position=i, label=t) for i, t in enumerate(labels)
            ]
            session.add_all(options)
            session.flush()
            ballots: set[str] = set()
            for villager in people:
                key = (
                    f"h{villager.household_id}" if mode == "household" and villager.household_id else f"v{villager.id}"
                )
                day = opens + timedelta(days=rng.randrange(0, 3))
                if key in ballots or age_on(villager.birth_date, day) < 18 or rng.random() > keen[villager.id]:
                    continue
                if is_open and day > today:
                    continue
                ballots.add(key)
                vote = PollVote(
                    village_id=village.id,
                    poll_id=poll.id,
                    option_id=rng.choice(options).id,
                    villager_id=villager.id,
                    ballot_key=key,
                    created_at=_utc(day, rng.randrange(8, 21)),
                )
                session.add(vote)
                session.flush()
                award_points(
                    session,
                    villager=villager,
                    activity_type="vote",
                    facts={},
                    on=day,
                    source_type="poll_vote",
                    source_id=vote.id,
                    idempotency_key=f"poll:{poll.id}:villager:{villager.id}",
                )
                votes += 1
    return votes


def _lessons(rng, village, author, people, keen, start, today) -> int:
    passed = 0
    span = (today - start).days
    for number, (title, content, quiz) in enumerate(LESSONS):
        questions = [{"text": text, "options": options, "answer": answer} for text, options, answer in quiz]
        published = start + timedelta(days=span * number // len(LESSONS))
        with write_transaction() as session:
            lesson = Lesson(
                village_id=village.id,
                title=title,
                content=content,
                questions=questions,
                pass_mark=len(questions),
                created_by_id=author.id,
            )
            session.add(lesson)
            session.flush()
            for villager in people:
                if rng.random() > keen[villager.id]:
                    continue
                day = min(today, published + timedelta(days=rng.randrange(0, 20)))
                right = [q["answer"] for q in questions]
                if rng.random() < 0.3:  # a first try with one mistake, then a pass
                    wrong = [(right[0] + 1) % len(questions[0]["options"]), *right[1:]]
                    session.add(_attempt(lesson, villager, wrong, len(questions) - 1, day))
                attempt = _attempt(lesson, villager, right, len(questions), day)
                session.add(attempt)
                session.flush()
                award_points(
                    session,
                    villager=villager,
                    activity_type="lesson",
                    facts={},
                    on=day,
                    source_type="lesson_attempt",
                    source_id=attempt.id,
                    idempotency_key=f"lesson:{lesson.id}:villager:{villager.id}",
                )
                passed += 1
    return passed


def _attempt(lesson, villager, answers, correct, day) -> LessonAttempt:
    return LessonAttempt(
        village_id=lesson.village_id,
        lesson_id=lesson.id,
        villager_id=villager.id,
        answers=answers,
        correct=correct,
        passed=correct >= lesson.pass_mark,
        created_at=_utc(day, 20),
    )


def _events(rng, village, author, people, keen, start, today) -> int:
    check_ins = 0
    day = start + timedelta(days=(5 - start.weekday()) % 7)  # the first Saturday
    while day < today + timedelta(days=14):
        kind = "volunteer" if day.day <= 7 else "patrol"
        hours = 8 if kind == "volunteer" else 2
        with write_transaction() as session:
            event = Event(
                village_id=village.id,
                title="志愿服务日：清理河道" if kind == "volunteer" else "周末平安巡逻",
                kind=kind,
                place=EVENT_PLACES[kind],
                starts_at=_utc(day, 8),
                ends_at=_utc(day, 8 + hours),
                hours=hours,
                capacity=60 if kind == "volunteer" else 30,
                award_at="confirmation" if kind == "volunteer" else "check_in",
                qr_secret=secrets.token_hex(32),
                created_by_id=author.id,
            )
            session.add(event)
            session.flush()
            if day < today:
                check_ins += _attend(rng, session, event, author, people, keen, day)
        day += timedelta(days=7)
    with write_transaction() as session:
        # Running all day today, so that the QR screen and scanning can be tried at once.
        session.add(
            Event(
                village_id=village.id,
                title="今日平安巡逻",
                kind="patrol",
                place="村委会门口集合",
                starts_at=_utc(today, 7),
                ends_at=_utc(today, 22),
                hours=2,
                award_at="check_in",
                qr_secret=secrets.token_hex(32),
                created_by_id=author.id,
            )
        )
    return check_ins


def _attend(rng, session, event, author, people, keen, day) -> int:
    attendees = [v for v in people if age_on(v.birth_date, day) >= 16 and rng.random() < keen[v.id] * 0.95]
    for villager in attendees[: event.capacity]:
        row = EventCheckIn(
            village_id=event.village_id,
            event_id=event.id,
            villager_id=villager.id,
            checked_in_at=event.starts_at + timedelta(minutes=rng.randrange(-20, 15)),
            confirmed_at=event.ends_at + timedelta(hours=2),
            confirmed_by_id=author.id,
        )
        session.add(row)
        session.flush()
        award_points(
            session,
            villager=villager,
            activity_type="checkin",
            facts={"event.kind": event.kind, "event.hours": event.hours, "event.date": day},
            on=day,
            source_type="event_check_in",
            source_id=row.id,
            idempotency_key=f"event:{event.id}:villager:{villager.id}",
            actor_id=author.id if event.award_at == "confirmation" else None,
        )
    return min(len(attendees), event.capacity)
