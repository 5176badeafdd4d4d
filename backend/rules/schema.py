"""Marshmallow 4 schemas for rules and rule sets; field-level checks only (see validation.py)."""

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from backend.rules.badges import METRICS, SCOPES, TIERS
from backend.rules.conditions import validate_condition
from backend.rules.facts import ACTIVITY_TYPES
from backend.rules.periods import CAP_PERIODS
from backend.rules.registry import EFFECT_KINDS, EXPIRY_POLICIES

RULE_CODE = re.compile(r"^[A-Z][A-Z0-9_-]{0,15}$")
TARGETS = ("points", "credit", "both")
KINDS = ("points", "credit")


def _one_of(choices: Any, what: str) -> validate.OneOf:
    return validate.OneOf(list(choices), error=f"{what}应为以下之一：{'、'.join(choices)}")


def _at_least(minimum: int) -> validate.Range:
    return validate.Range(min=minimum, error=f"不能小于 {minimum}")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("不能为空")


class RegistryField(fields.Field):
    """A `{type, ...}` object whose parameters are checked by the schema of its registered kind."""

    def __init__(self, registry: Mapping, what: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.registry = registry
        self.what = what

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, Mapping):
            raise ValidationError("应为对象")
        kind = self.registry.get(value.get("type"))
        if kind is None:
            allowed = "、".join(self.registry)
            raise ValidationError({"type": [f"未知的{self.what}类型 {value.get('type')!r}，可用：{allowed}"]})
        return kind.params().load(value)


class ConditionField(fields.Field):
    """A condition tree checked against the facts catalogue."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        messages = validate_condition(value)
        if messages:
            raise ValidationError(messages)
        return value


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class CapSchema(StrictSchema):
    period = fields.String(required=True, validate=_one_of(CAP_PERIODS, "上限周期"))
    amount = fields.Integer(required=True, strict=True, validate=_at_least(1))


class RuleSchema(StrictSchema):
    code = fields.String(
        required=True, validate=validate.Regexp(RULE_CODE, error="编码应为大写字母开头，如 P01、R02、H31")
    )
    title = fields.String(required=True, validate=_not_blank)
    category = fields.String(load_default="")
    dimension = fields.String(load_default=None, allow_none=True)
    target = fields.String(required=True, validate=_one_of(TARGETS, "计分对象"))
    activity_type = fields.String(load_default=None, allow_none=True, validate=_one_of(ACTIVITY_TYPES, "活动类型"))
    condition = ConditionField(load_default=None, allow_none=True)
    effect = RegistryField(EFFECT_KINDS, "计分方式", required=True)
    cap = fields.Nested(CapSchema, load_default=None, allow_none=True)
    validity_months = fields.Integer(strict=True, load_default=None, allow_none=True, validate=_at_least(1))
    sentence = fields.String(required=True, validate=_not_blank)
    evidence = fields.List(fields.String(), load_default=list)


class LevelSchema(StrictSchema):
    code = fields.String(required=True, validate=_not_blank)
    min = fields.Integer(required=True, strict=True)
    label = fields.String(load_default="")


class DimensionSchema(StrictSchema):
    code = fields.String(required=True, validate=_not_blank)
    label = fields.String(required=True, validate=_not_blank)


class GateSchema(StrictSchema):
    code = fields.String(required=True, validate=_not_blank)
    label = fields.String(required=True, validate=_not_blank)
    rule_code = fields.String(load_default=None, allow_none=True)
    when = fields.Dict(required=True)
    effect = fields.Dict(required=True)


class ExpectSchema(StrictSchema):
    score = fields.Integer(strict=True, load_default=None, allow_none=True)
    level = fields.String(load_default=None, allow_none=True)
    points = fields.Integer(strict=True, load_default=None, allow_none=True)
    blocks_redemption = fields.Boolean(load_default=None, allow_none=True)


class GoldenTestSchema(StrictSchema):
    name = fields.String(required=True, validate=_not_blank)
    villager = fields.Dict(load_default=dict)
    events = fields.List(fields.Dict(), load_default=list)
    as_of = fields.Date(required=True)
    expect = fields.Nested(ExpectSchema, required=True)


class TierSchema(StrictSchema):
    tier = fields.String(required=True, validate=_one_of(TIERS, "勋章等级"))
    threshold = fields.Integer(required=True, strict=True, validate=_at_least(1))
    bonus = fields.Integer(strict=True, load_default=0, validate=_at_least(0))


class BadgeSchema(StrictSchema):
    code = fields.String(
        required=True, validate=validate.Regexp(RULE_CODE, error="编码应为大写字母开头，如 B01、BADGE-1")
    )
    title = fields.String(required=True, validate=_not_blank)
    description = fields.String(load_default="")
    scope = fields.String(load_default="villager", validate=_one_of(SCOPES, "勋章对象"))
    # Where bonus points count in boards; a badge that belongs to no category leaves it empty.
    category = fields.String(load_default=None, allow_none=True)
    metric = RegistryField(METRICS, "勋章条件", required=True)
    tiers = fields.List(fields.Nested(TierSchema), required=True, validate=validate.Length(min=1, max=3))


class StarsSchema(StrictSchema):
    thresholds = fields.List(
        fields.Integer(strict=True, validate=_at_least(0)),
        required=True,
        validate=validate.Length(equal=5, error="参与星级须有 5 个门槛（1 至 5 星）"),
    )


class RuleSetSchema(StrictSchema):
    kind = fields.String(required=True, validate=_one_of(KINDS, "规则集类型"))
    name = fields.String(required=True, validate=_not_blank)
    description = fields.String(load_default="")
    version = fields.Integer(strict=True, load_default=0)
    effective_from = fields.Date(load_default=None, allow_none=True)
    base_score = fields.Integer(strict=True, load_default=0)
    min_score = fields.Integer(strict=True, load_default=0)
    max_score = fields.Integer(strict=True, load_default=None, allow_none=True)
    levels = fields.List(fields.Nested(LevelSchema), load_default=list)
    dimensions = fields.List(fields.Nested(DimensionSchema), load_default=list)
    rules = fields.List(fields.Nested(RuleSchema), required=True)
    # Points sets: the categories rules, boards and statistics use (the six defaults when absent), the lifetime
    # points of 1..5 participation stars, and the badges.
    categories = fields.List(fields.String(validate=_not_blank), load_default=None, allow_none=True)
    stars = fields.Nested(StarsSchema, load_default=None, allow_none=True)
    badges = fields.List(fields.Nested(BadgeSchema), load_default=list)
    gates = fields.List(fields.Nested(GateSchema), load_default=list)
    points_expiry = RegistryField(EXPIRY_POLICIES, "积分到期规则", load_default=lambda: {"type": "never"})
    notice_days = fields.Integer(strict=True, load_default=0, validate=_at_least(0))
    golden_tests = fields.List(fields.Nested(GoldenTestSchema), load_default=list)


# marshmallow's built-in messages, in the language our users read.
TRANSLATIONS: dict[str, str] = {
    "Missing data for required field.": "必填",
    "Field may not be null.": "不能为空",
    "Unknown field.": "未知字段",
    "Invalid input type.": "应为对象",
    "Invalid type.": "应为对象",
    "Not a valid integer.": "应为整数",
    "Not a valid string.": "应为文本",
    "Not a valid list.": "应为列表",
    "Not a valid mapping type.": "应为对象",
    "Not a valid boolean.": "应为 true 或 false",
    "Not a valid date.": "应为日期，如 2026-01-01",
    "Invalid value.": "取值无效",
}
