"""Plain factory functions with defaults for rule-language tests."""

import copy
from datetime import date

from backend.rules import CreditEvent, load_demo_rule_set


def credit_set(**changes) -> dict:
    """A deep copy of the demo credit rule set, with top-level changes applied."""
    data = copy.deepcopy(load_demo_rule_set("credit_qt"))
    data.update(changes)
    return data


def points_set(**changes) -> dict:
    """A deep copy of the demo points rule set, with top-level changes applied."""
    data = copy.deepcopy(load_demo_rule_set("points_qt"))
    data.update(changes)
    return data


def rule_index(rule_set: dict, code: str) -> int:
    """Position of the rule with `code`."""
    return next(i for i, rule in enumerate(rule_set["rules"]) if rule["code"] == code)


def event(event_id, rule_code: str | None = "R02", on: date = date(2026, 3, 2), **fields) -> CreditEvent:
    """A counted credit event, visible at once unless `counts_from` says otherwise."""
    return CreditEvent(id=event_id, rule_code=rule_code, occurred_on=on, **fields)
