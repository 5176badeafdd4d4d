"""A kept credit state (credit_state) stays the evaluation of every day up to its valid_until."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.rules import credit_state
from backend.rules.credit import tally_credit
from tests.unit.rules.test_lean_score import AS_OF, SETTINGS, TABLES, histories, villagers

# Slow: demo loads, thread races and long property runs; `make test-fast` leaves them out.
pytestmark = pytest.mark.slow


def same_day_answer(table, events, facts, day):
    tally = tally_credit(table, events, as_of=day, villager_facts=facts)
    return tally.score, tally.level.code, tally.current.version, tuple(tally.gates)


@SETTINGS
@given(st.sampled_from(sorted(TABLES)), histories(), villagers, st.integers(-400, 0), st.integers(0, 800))
def test_state_holds_every_day_until_it_expires(table_name, events, facts, start, later):
    table = TABLES[table_name]
    as_of = AS_OF + timedelta(days=start)
    if table.at(as_of) is None:
        return
    state = credit_state(table, events, as_of=as_of, villager_facts=facts)
    assert (state.score, state.level, state.version, state.gates) == same_day_answer(table, events, facts, as_of)
    last = (state.valid_until - timedelta(days=1)) if state.valid_until else as_of + timedelta(days=800)
    day = min(as_of + timedelta(days=later), last)
    assert (state.score, state.level, state.version, state.gates) == same_day_answer(table, events, facts, day)
    if state.valid_until is not None:
        assert state.valid_until > as_of
