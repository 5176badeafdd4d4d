"""Credit events as immutable named tuples, and their conversion from JSON-shaped dicts."""

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple

from backend.rules.errors import RuleError

EVENT_KINDS = ("rule", "repair", "dishonesty")
EVENT_STATUSES = ("counted", "frozen", "revoked")
_DATE_FIELDS = ("occurred_on", "counts_from", "ends_on")
NO_FACTS: Mapping[str, Any] = MappingProxyType({})


class CreditEvent(NamedTuple):
    """One registered credit event; the service fills it from the database.

    kind "rule": scored by `rule_code`; "repair": reverses `target_id` once it counts;
    "dishonesty": a list entry (`list_kind`, from `occurred_on` to `ends_on`, `source`), which may also
    name a rule (such as R12) whose effect applies while the entry is in force.
    """

    # A named tuple rather than a frozen dataclass: a city-wide recompute builds millions of these, and a
    # tuple is built about eight times faster (`CreditEvent._make(values)` takes the fields in this order).
    id: Any
    occurred_on: date
    rule_code: str | None = None
    kind: str = "rule"
    counts_from: date | None = None  # end of the 公示 notice window; None means occurred_on
    quantity: float = 1
    amount: int | None = None  # a reviewer's pick for a `range` effect
    status: str = "counted"
    target_id: Any = None
    list_kind: str | None = None
    ends_on: date | None = None
    source: str | None = None
    facts: Mapping[str, Any] = NO_FACTS

    @property
    def effective_from(self) -> date:
        """First day the event counts."""
        return self.counts_from or self.occurred_on


_FIELD_NAMES = frozenset(CreditEvent._fields)


def credit_event_from_dict(data: Mapping[str, Any] | CreditEvent) -> CreditEvent:
    """A CreditEvent from a JSON-shaped dict (ISO dates); raises RuleError naming the bad field."""
    if isinstance(data, CreditEvent):
        return data
    if not isinstance(data, Mapping):
        raise RuleError("事件应为对象")
    unknown = sorted(set(data) - _FIELD_NAMES)
    if unknown:
        raise RuleError(f"事件含未知字段：{'、'.join(unknown)}")
    values = dict(data)
    for name in _DATE_FIELDS:
        if isinstance(values.get(name), str):
            try:
                values[name] = date.fromisoformat(values[name])
            except ValueError:
                raise RuleError(f"事件字段 {name} 应为日期，如 2026-01-01") from None
    for name in ("id", "occurred_on"):
        if values.get(name) is None:
            raise RuleError(f"事件缺少字段 {name}")
    if not isinstance(values["occurred_on"], date):
        raise RuleError("事件字段 occurred_on 应为日期")
    if values.get("kind", "rule") not in EVENT_KINDS:
        raise RuleError(f"事件类型 {values.get('kind')!r} 无效，可用：{'、'.join(EVENT_KINDS)}")
    if values.get("status", "counted") not in EVENT_STATUSES:
        raise RuleError(f"事件状态 {values.get('status')!r} 无效，可用：{'、'.join(EVENT_STATUSES)}")
    kind = values.get("kind", "rule")
    if kind == "rule" and not values.get("rule_code"):
        raise RuleError("计分事件缺少 rule_code")
    if kind == "repair" and values.get("target_id") is None:
        raise RuleError("修复事件缺少 target_id")
    if kind == "dishonesty" and not values.get("list_kind"):
        raise RuleError("失信名单事件缺少 list_kind")
    return CreditEvent(**values)


_ACTIVITY_FIELDS = frozenset({"on", "facts", "amount", "rule_code"})


def activity_from_dict(data: Any) -> dict:
    """A points golden-test activity `{on, facts, amount?, rule_code?}` with its date parsed."""
    if not isinstance(data, Mapping):
        raise RuleError("活动应为对象")
    unknown = sorted(set(data) - _ACTIVITY_FIELDS)
    if unknown:
        raise RuleError(f"活动含未知字段：{'、'.join(unknown)}")
    try:
        on = data["on"] if isinstance(data.get("on"), date) else date.fromisoformat(data["on"])
    except (KeyError, TypeError, ValueError):
        raise RuleError("活动字段 on 应为日期，如 2026-01-01") from None
    facts = data.get("facts", {})
    if not isinstance(facts, Mapping):
        raise RuleError("活动字段 facts 应为对象")
    amount = data.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise RuleError("活动字段 amount 应为整数")
    return {"on": on, "facts": dict(facts), "amount": amount, "rule_code": data.get("rule_code")}
