"""Kinds of effect, points-expiry policy and gate effect, looked up by their stored `type`.

Adding a kind is one function (plus a small parameter schema) and one registry line.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from backend.rules.errors import RuleError
from backend.rules.facts import FACTS
from backend.rules.periods import add_months

# --- effects -------------------------------------------------------------------------------------------


def _non_zero(value: int) -> None:
    if value == 0:
        raise ValidationError("分值不能为 0")


class FixedParams(Schema):
    type = fields.String(required=True)
    amount = fields.Integer(required=True, strict=True, validate=_non_zero)


class PerUnitParams(Schema):
    type = fields.String(required=True)
    amount = fields.Integer(required=True, strict=True, validate=_non_zero)
    unit_fact = fields.String(required=True)
    unit_size = fields.Integer(required=True, strict=True)
    max_units = fields.Integer(strict=True, load_default=None)

    @validates_schema
    def check_units(self, data: dict, **_: Any) -> None:
        fact = FACTS.get(data["unit_fact"])
        if fact is None or fact.type != "number":
            raise ValidationError(f"计量事实 {data['unit_fact']!r} 不存在或不是数字", "unit_fact")
        if data["unit_size"] < 1:
            raise ValidationError("每单位数量至少为 1", "unit_size")
        if data["max_units"] is not None and data["max_units"] < 1:
            raise ValidationError("单位数上限至少为 1", "max_units")


class RangeParams(Schema):
    type = fields.String(required=True)
    min = fields.Integer(required=True, strict=True, validate=_non_zero)
    max = fields.Integer(required=True, strict=True, validate=_non_zero)
    default = fields.Integer(required=True, strict=True)

    @validates_schema
    def check_range(self, data: dict, **_: Any) -> None:
        if (data["min"] > 0) != (data["max"] > 0):
            raise ValidationError("上下限须同为加分或同为扣分", "max")
        if not data["min"] <= data["default"] <= data["max"]:
            raise ValidationError("默认分值须在上下限之间", "default")


class LevelCapParams(Schema):
    type = fields.String(required=True)
    level = fields.String(required=True)


@dataclass(frozen=True, slots=True)
class EffectKind:
    """How one kind of effect turns an event into an amount."""

    label: str
    params: type[Schema]
    compute: Callable[[Mapping, Mapping, float, int | None], tuple[int, float]]
    direction: Callable[[Mapping], int]
    allows_override: bool = False


def _compute_fixed(params: Mapping, facts: Mapping, quantity: float, override: int | None) -> tuple[int, float]:
    return params["amount"] * int(quantity), quantity


def _compute_per_unit(params: Mapping, facts: Mapping, quantity: float, override: int | None) -> tuple[int, float]:
    measured = facts.get(params["unit_fact"])
    # Credit events carry the count in `quantity`; activities carry it as a fact such as event.hours.
    units = measured if isinstance(measured, int | float) and not isinstance(measured, bool) else quantity
    whole = max(0, int(units // params["unit_size"]))
    if params.get("max_units") is not None:
        whole = min(whole, params["max_units"])
    return params["amount"] * whole, units


def _compute_range(params: Mapping, facts: Mapping, quantity: float, override: int | None) -> tuple[int, float]:
    if override is None:
        return params["default"], quantity
    if not params["min"] <= override <= params["max"]:
        raise RuleError(f"分值 {override} 超出允许范围 {params['min']} 至 {params['max']}")
    return override, quantity


def _compute_level_cap(params: Mapping, facts: Mapping, quantity: float, override: int | None) -> tuple[int, float]:
    return 0, quantity


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


EFFECT_KINDS: dict[str, EffectKind] = {
    "fixed": EffectKind("固定分值", FixedParams, _compute_fixed, lambda p: _sign(p["amount"])),
    "per_unit": EffectKind("按单位计分", PerUnitParams, _compute_per_unit, lambda p: _sign(p["amount"])),
    "range": EffectKind("审核人在范围内定分", RangeParams, _compute_range, lambda p: _sign(p["max"]), True),
    "level_cap": EffectKind("限制最高等级", LevelCapParams, _compute_level_cap, lambda p: 0),
}


def compute_effect(effect: Mapping, facts: Mapping, quantity: float = 1, override: int | None = None) -> int:
    """The uncapped amount an effect gives for one event."""
    kind = EFFECT_KINDS[effect["type"]]
    if override is not None and not kind.allows_override:
        raise RuleError("该规则分值固定，不能由审核人指定分值")
    return kind.compute(effect, facts, quantity, override)[0]


def effect_direction(effect: Mapping) -> int:
    """+1 for additions, -1 for deductions, 0 for effects that move no score (gates)."""
    return EFFECT_KINDS[effect["type"]].direction(effect)


# --- caps ----------------------------------------------------------------------------------------------


# The cap periods' registry lives beside their calendar arithmetic (backend/rules/periods.py).

# --- points expiry -------------------------------------------------------------------------------------


class NoParams(Schema):
    type = fields.String(required=True)


class MonthsParams(Schema):
    type = fields.String(required=True)
    months = fields.Integer(required=True, strict=True, validate=lambda v: v >= 1 or _raise("月数至少为 1"))


def _raise(message: str) -> bool:
    raise ValidationError(message)


@dataclass(frozen=True, slots=True)
class ExpiryPolicy:
    """When earned points expire."""

    label: str
    params: type[Schema]
    compute: Callable[[Mapping, date], date | None]


EXPIRY_POLICIES: dict[str, ExpiryPolicy] = {
    "end_of_next_year": ExpiryPolicy("获得次年 12 月 31 日到期", NoParams, lambda p, on: date(on.year + 1, 12, 31)),
    "months": ExpiryPolicy("获得后 N 个月到期", MonthsParams, lambda p, on: add_months(on, p["months"])),
    "never": ExpiryPolicy("永不过期", NoParams, lambda p, on: None),
}


def points_expiry_date(policy: Mapping, earned_on: date) -> date | None:
    """Last day on which points earned on `earned_on` may be spent, or None when they never expire."""
    kind = EXPIRY_POLICIES.get(policy.get("type"))
    if kind is None:
        raise RuleError(f"未知的积分到期规则：{policy.get('type')!r}")
    return kind.compute(policy, earned_on)


# --- gates ---------------------------------------------------------------------------------------------

GATE_EFFECTS: dict[str, str] = {
    "cap_level": "限制最高等级",
    "block_redemption": "暂停积分兑换",
}

LIST_KINDS: dict[str, str] = {
    "court": "法院失信被执行人名单",
    "village": "村失信清单",
}
