"""Demo credit: published credit rule sets, a few months of entries and snapshots, and work under way.

The first bound villagers of each village (the demo logins) show one case each, so that a front-end developer
can sign in as any level: demo:<village>-0001 AAA with an honour application waiting, -0002 AA with a violation
in its notice window, -0003 A with an objection waiting, -0004 B with a repair request waiting, -0005 C,
-0006 (东村 only) on the court dishonesty list, -0007 a repaired deduction. Everyone else has a random history.
"""

import random
from datetime import date, timedelta

from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import CreditEntry, CreditRepair, User, Village, Villager
from backend.rules import load_demo_rule_set
from backend.services.access import Caller
from backend.services.credit.dishonesty import COURT_SOURCE
from backend.services.credit.entries import apply_honour, object_to_entry, record_violation
from backend.services.credit.repair import apply_repair
from backend.services.credit.snapshots import recompute_snapshots
from backend.services.rulesets.versions import create_rule_set_draft, publish_rule_set

MONTHS_OF_HISTORY = 5
NOTICE = timedelta(days=7)
# Rule code, and how a random villager's month may go: volunteer hours, clean-ups, small breaches.
_CASES = {
    1: [("H41", 40, {"honour.level": "town"})],  # 1050 AAA
    2: [("H32", 30, {})],  # 1003 AA
    3: [("R01", 100, {})],  # 950 A
    4: [("R01", 120, {}), ("R21", 90, {})],  # 900 B
    5: [("R01", 130, {}), ("R21", 100, {}), ("R04", 70, {}), ("R41", 60, {})],  # 840 C
    6: [("H32", 50, {})],  # AA by score, C while on the court list
    7: [("R04", 110, {})],  # repaired: back to AA
}


def load(*, echo=print) -> None:
    rng = random.Random(20261125)
    today = clock.today()
    start = _months_back(today, MONTHS_OF_HISTORY)
    users = {u.username: u for u in db.session.execute(select(User).where(User.username.is_not(None))).scalars()}
    villages = list(db.session.execute(select(Village).order_by(Village.code)).scalars())
    for village in villages:
        prefix = village.code.lower()
        drafter = Caller.of(users[f"{prefix}-cw1"])
        publisher = Caller.of(users.get(f"{prefix}-cw2") or users["qt-town"])
        document = load_demo_rule_set("credit_qt")
        document["name"] = f"{village.name}村规民约信用计分细则"
        draft = create_rule_set_draft(caller=drafter, village_id=village.id, kind="credit", document=document)
        publish_rule_set(caller=publisher, rule_set=draft, effective_from=start)
        logins = _logins(village)
        people = list(db.session.execute(select(Villager).where(Villager.village_id == village.id)).scalars())
        entries = _history(rng, village, people, logins, start, today)
        db.session.commit()
        _under_way(drafter, logins, today)
        echo(f"  {village.name} ({village.code}): credit rules v1 from {start}; {entries} credit entries")
    month = start
    while month <= today:
        recompute_snapshots(village_ids=[v.id for v in villages], month=month)
        month = _months_back(month, -1)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _logins(village: Village) -> dict[int, tuple[Villager, User]]:
    """The bound demo logins by number: 1 for demo-<village>-0001 and so on."""
    prefix = f"demo-{village.code.lower()}-"
    users = db.session.execute(select(User).where(User.openid.like(prefix + "%"))).scalars()
    return {int(u.openid.removeprefix(prefix)): (u.villager, u) for u in users}


def _entry(village: Village, villager: Villager, rule_code: str | None, day: date, **extra) -> CreditEntry:
    entry = CreditEntry(
        village_id=village.id,
        villager_id=villager.id,
        kind=extra.pop("kind", "rule"),
        origin=extra.pop("origin", "violation" if rule_code and rule_code.startswith("R") else "honour"),
        rule_code=rule_code,
        rule_version=1,
        occurred_on=day,
        counts_from=day + NOTICE,
        facts=extra.pop("facts", {}),
        status="counted",
        evidence_text=extra.pop("evidence_text", "村委会现场核实记录"),
        evidence_file_ids=[],
        **extra,
    )
    db.session.add(entry)
    return entry


def _history(rng, village, people, logins, start, today) -> int:
    count = 0
    cases = {villager.id: number for number, (villager, _user) in logins.items() if number in _CASES}
    span = (today - start).days
    for villager in people:
        number = cases.get(villager.id)
        if number is not None:
            for rule_code, days_ago, facts in _CASES[number]:
                _entry(village, villager, rule_code, today - timedelta(days=days_ago), facts=facts)
                count += 1
            continue
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            day = start + timedelta(days=rng.randrange(0, max(1, span - 10)))
            rule_code = rng.choice(("H31", "H31", "H32", "H33", "H42", "R02", "R03"))
            facts = {"event.hours": rng.choice((2, 3, 4, 6))} if rule_code == "H31" else {}
            _entry(village, villager, rule_code, day, facts=facts)
            count += 1
    if village.code == "QT01" and 6 in logins:
        listed = logins[6][0]
        _entry(
            village,
            listed,
            "R12",
            today - timedelta(days=45),
            kind="dishonesty",
            origin="court_list",
            list_kind="court",
            source=COURT_SOURCE,
            ends_on=today + timedelta(days=320),
            reason="未履行生效判决确定的给付义务",
            evidence_text="县人民法院失信被执行人名单（演示）",
        )
        count += 1
    if 7 in logins:
        villager = logins[7][0]
        db.session.flush()
        target = db.session.execute(
            select(CreditEntry).where(CreditEntry.villager_id == villager.id, CreditEntry.rule_code == "R04")
        ).scalar_one()
        repaired_on = today - timedelta(days=20)
        repair_entry = _entry(
            village, villager, "R04", repaired_on, kind="repair", origin="repair", target_id=target.id
        )
        repair_entry.counts_from = repaired_on
        db.session.flush()
        db.session.add(
            CreditRepair(
                village_id=village.id,
                villager_id=villager.id,
                entry_id=target.id,
                statement="已自行清退占用的集体土地并恢复原状",
                applied_by_id=logins[7][1].id,
                status="approved",
                decision_note="经现场核实已恢复原状，同意修复",
                repair_entry_id=repair_entry.id,
            )
        )
        count += 1
    return count


def _under_way(committee: Caller, logins, today) -> None:
    """Work waiting for someone, made through the services so it looks exactly like the real thing."""
    if 1 in logins:
        villager, user = logins[1]
        apply_honour(
            caller=Caller.of(user),
            villager_id=villager.id,
            rule_code="H33",
            occurred_on=today - timedelta(days=3),
            description="在镇卫生院无偿献血 300 毫升",
            facts={},
            evidence_text="无偿献血证编号 330200-2026-0815",
            file_ids=[],
        )
    if 2 in logins:
        record_violation(
            caller=committee,
            villager=logins[2][0],
            rule_code="R02",
            occurred_on=today - timedelta(days=1),
            note="村口垃圾点外堆放建筑垃圾",
            evidence_text="网格员巡查发现",
            file_ids=[],
        )
    if 3 in logins:
        villager, user = logins[3]
        entry = record_violation(
            caller=committee,
            villager=villager,
            rule_code="R03",
            occurred_on=today - timedelta(days=2),
            note="田间焚烧秸秆",
            evidence_text="巡查照片",
            file_ids=[],
        )
        object_to_entry(caller=Caller.of(user), entry=entry, reason="烧的是自家灶膛的柴火，不是田里的秸秆")
    if 4 in logins:
        villager, user = logins[4]
        target = db.session.execute(
            select(CreditEntry).where(CreditEntry.villager_id == villager.id, CreditEntry.rule_code == "R01")
        ).scalar_one()
        apply_repair(
            caller=Caller.of(user),
            entry=target,
            statement="违章搭建的彩钢棚已全部拆除",
            evidence_text="拆除后现场照片已交村委会",
            file_ids=[],
        )
