"""Properties that must hold for any events: bounds, caps, expiry, gates, order and repairs."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.rules import CreditEvent, cap_period_key, compile_rule_set, evaluate_credit
from tests.unit.rules.factories import credit_set

# Slow: demo loads, thread races and long property runs; `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

RULES = compile_rule_set(credit_set(effective_from=None))
SCORING_CODES = [rule.code for rule in RULES.rules if rule.code != "R12"]
START = date(2024, 1, 1)
AS_OF = date(2026, 6, 1)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def event_lists(draw, max_size=25):
    count = draw(st.integers(0, max_size))
    events = []
    for index in range(count):
        code = draw(st.sampled_from(SCORING_CODES))
        day = START + timedelta(days=draw(st.integers(0, 900)))
        events.append(
            CreditEvent(
                id=index,
                rule_code=code,
                occurred_on=day,
                counts_from=day + timedelta(days=draw(st.sampled_from([0, 7]))),
                status=draw(st.sampled_from(["counted", "counted", "counted", "frozen", "revoked"])),
                facts={
                    "event.hours": draw(st.integers(0, 12)),
                    "honour.level": draw(st.sampled_from(["village", "town"])),
                },
            )
        )
    return events


def evaluate(events, **kwargs):
    return evaluate_credit([RULES], events, as_of=kwargs.pop("as_of", AS_OF), **kwargs)


@SETTINGS
@given(event_lists(40))
def test_score_always_within_bounds(events):
    result = evaluate(events)
    assert RULES.min_score <= result.score <= RULES.max_score
    assert (result.clamped is None) == (result.score == result.raw_score)


@SETTINGS
@given(event_lists())
def test_caps_never_exceeded_per_period(events):
    totals: dict[tuple[str, str], int] = {}
    for line in evaluate(events).lines:
        if line.status in ("counted", "capped"):
            rule = RULES.rules_by_code[line.rule_code]
            key = (line.rule_code, cap_period_key(rule.cap["period"], line.occurred_on))
            if rule.cap["period"] == "per_event":
                assert abs(line.amount) <= rule.cap["amount"]
            totals[key] = totals.get(key, 0) + abs(line.amount)
    for (code, _), total in totals.items():
        cap = RULES.rules_by_code[code].cap
        if cap["period"] != "per_event":
            assert total <= cap["amount"]


@SETTINGS
@given(event_lists())
def test_expired_items_never_count(events):
    result = evaluate(events)
    for line in result.lines:
        if line.stops_on is not None and line.stops_on <= AS_OF:
            assert line.amount == 0
    assert all(line.amount == 0 for line in result.expired)
    assert result.raw_score == RULES.base_score + sum(line.amount for line in result.lines)


@SETTINGS
@given(event_lists(), st.booleans())
def test_gates_always_cap_the_level(events, on_court_list):
    entry = CreditEvent(id="court", kind="dishonesty", rule_code="R12", list_kind="court", occurred_on=date(2026, 1, 1))
    result = evaluate([*events, entry], villager_facts={"villager.on_court_list": on_court_list})
    assert RULES.level_rank(result.level) >= RULES.level_rank("C")
    assert result.blocks_redemption


@SETTINGS
@given(event_lists(), st.randoms(use_true_random=False))
def test_result_is_identical_for_any_order_of_events(events, random):
    shuffled = list(events)
    random.shuffle(shuffled)
    assert evaluate(shuffled) == evaluate(events)


@SETTINGS
@given(event_lists(), st.data())
def test_repair_restores_the_score_without_the_repaired_event(events, data):
    counted = [e for e in events if e.status == "counted"]
    if not counted:
        return
    target = data.draw(st.sampled_from(counted))
    repair = CreditEvent(id="repair", kind="repair", target_id=target.id, occurred_on=AS_OF - timedelta(days=1))
    repaired = evaluate([*events, repair])
    without = evaluate([e for e in events if e.id != target.id])
    assert (repaired.score, repaired.level) == (without.score, without.level)
