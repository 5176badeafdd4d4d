"""The lean scoring path (score_credit: score, level, version) agrees with the full evaluation for any history."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.rules import CreditEvent, VersionTable, evaluate_credit, score_credit
from backend.rules.credit import tally_credit
from tests.unit.rules.factories import credit_set, rule_index

START = date(2024, 1, 1)
AS_OF = date(2026, 6, 1)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def second_version() -> dict:
    """Version 2 from 2025-07-01: other amounts and caps, an honour dropped, a shorter validity."""
    data = credit_set(version=2, effective_from="2025-07-01")
    rules = data["rules"]
    rules[rule_index(data, "R02")]["effect"]["amount"] = -8
    rules[rule_index(data, "R02")]["cap"] = {"period": "week", "amount": 16}
    rules[rule_index(data, "H32")]["validity_months"] = 6
    del rules[rule_index(data, "H42")]
    return data


TABLES = {
    "one version in force at all dates": VersionTable([credit_set(effective_from=None)]),
    "one version from 2025": VersionTable([credit_set(effective_from="2025-01-01")]),
    "two versions": VersionTable([credit_set(version=1, effective_from="2024-03-01"), second_version()]),
}
FACTS = [{}, {"event.hours": 3}, {"event.hours": 7}, {"honour.level": "town"}, {"honour.level": "village"}]
CODES = [rule.code for rule in TABLES["two versions"].versions[0].rules] + ["H42", "NOPE"]


@st.composite
def histories(draw, max_size=30):
    """Rule events, repairs and list entries with any statuses, notice windows, facts and terms."""
    count = draw(st.integers(0, max_size))
    events: list[CreditEvent] = []
    for index in range(count):
        day = START + timedelta(days=draw(st.integers(0, 950)))
        kind = draw(st.sampled_from(["rule"] * 6 + ["repair", "dishonesty"]))
        status = draw(st.sampled_from(["counted", "counted", "counted", "frozen", "revoked"]))
        counts_from = day + timedelta(days=draw(st.sampled_from([0, 7, 30])))
        if kind == "repair" and events:
            target = draw(st.sampled_from(events)).id
            events.append(CreditEvent(id=index, kind="repair", target_id=target, occurred_on=day, status=status))
            continue
        if kind == "dishonesty":
            events.append(
                CreditEvent(
                    id=index,
                    kind="dishonesty",
                    rule_code=draw(st.sampled_from([None, "R12", "R21"])),
                    list_kind=draw(st.sampled_from(["court", "village"])),
                    occurred_on=day,
                    counts_from=counts_from,
                    ends_on=draw(st.sampled_from([None, day + timedelta(days=draw(st.integers(0, 400)))])),
                    source="法院",
                    status=status,
                )
            )
            continue
        events.append(
            CreditEvent(
                id=index,
                rule_code=draw(st.sampled_from(CODES)),
                occurred_on=day,
                counts_from=counts_from,
                quantity=draw(st.sampled_from([1, 1, 2, 3])),
                amount=draw(st.sampled_from([None, None, None, 5])),
                status=status,
                facts=draw(st.sampled_from(FACTS)),
            )
        )
    return events


villagers = st.fixed_dictionaries(
    {"villager.name": st.just("张三"), "villager.on_court_list": st.booleans(), "villager.age": st.integers(18, 90)}
)


@SETTINGS
@given(st.sampled_from(sorted(TABLES)), histories(), villagers, st.sampled_from([AS_OF, date(2025, 8, 15)]))
@pytest.mark.slow
def test_lean_score_equals_full_evaluation(table_name, events, facts, as_of):
    table = TABLES[table_name]
    if table.at(as_of) is None:
        return
    full = evaluate_credit(table, events, as_of=as_of, villager_facts=facts)
    tally = tally_credit(table, events, as_of=as_of, villager_facts=facts)
    lean = score_credit(table, events, as_of=as_of, villager_facts=facts)
    assert (lean.score, lean.level, lean.version) == (full.score, full.level, full.version)
    assert (lean.score, lean.level, lean.version) == (tally.score, tally.level.code, tally.current.version)


@SETTINGS
@given(histories(), villagers, st.randoms(use_true_random=False))
@pytest.mark.slow
def test_lean_score_does_not_depend_on_event_order(events, facts, random):
    table = TABLES["two versions"]
    shuffled = list(events)
    random.shuffle(shuffled)
    assert score_credit(table, shuffled, as_of=AS_OF, villager_facts=facts) == score_credit(
        table, events, as_of=AS_OF, villager_facts=facts
    )


def test_lean_score_keeps_the_level_cap_of_a_court_listing():
    table = TABLES["one version in force at all dates"]
    entry = CreditEvent(id=1, kind="dishonesty", rule_code="R12", list_kind="court", occurred_on=date(2026, 1, 1))
    lean = score_credit(table, [entry], as_of=AS_OF, villager_facts={})
    assert (lean.score, lean.level) == (1000, "C")
