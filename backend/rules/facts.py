"""The facts catalogue: what a condition may test, with Chinese labels, types and allowed operators."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

# Operators per fact type; ordering comparisons make no sense for text, enums or yes/no facts.
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "string": ("eq", "ne", "in", "not_in"),
    "enum": ("eq", "ne", "in", "not_in"),
    "bool": ("eq", "ne"),
    "number": ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between"),
    "date": ("eq", "ne", "gt", "gte", "lt", "lte", "between"),
}

OPERATOR_LABELS: dict[str, str] = {
    "eq": "等于",
    "ne": "不等于",
    "in": "属于",
    "not_in": "不属于",
    "gt": "大于",
    "gte": "大于等于",
    "lt": "小于",
    "lte": "小于等于",
    "between": "介于（含两端）",
}

TYPE_LABELS: dict[str, str] = {
    "string": "文本",
    "enum": "选项",
    "bool": "是/否",
    "number": "数字",
    "date": "日期",
}

ACTIVITY_TYPES: dict[str, str] = {
    "vote": "点一点：民主评议投票",
    "lesson": "点一点：在线学习",
    "checkin": "扫一扫：活动签到",
    "speak": "说一说：建言献策",
    "photo": "拍一拍：随手拍",
    "manual": "村委会登记",
}

EVIDENCE_KINDS: dict[str, str] = {
    "photo": "照片",
    "voice": "语音",
    "text": "文字说明",
    "check_in": "签到记录",
    "document": "证明材料",
    "committee_record": "村委会记录",
    "official_notice": "有关部门认定文书",
}


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact a condition may test."""

    code: str
    label: str
    type: str
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def operators(self) -> tuple[str, ...]:
        """Operators allowed for this fact's type."""
        return OPERATORS_BY_TYPE[self.type]


_HONOUR_LEVELS = (
    ("village", "村级"),
    ("town", "镇级"),
    ("county", "县级"),
    ("city", "市级"),
    ("province", "省级"),
    ("national", "国家级"),
)

FACTS: dict[str, Fact] = {
    fact.code: fact
    for fact in (
        Fact("activity.type", "活动类型", "enum", tuple(ACTIVITY_TYPES.items())),
        Fact("activity.subtype", "活动子类", "string"),
        Fact("activity.approved", "已审核通过", "bool"),
        Fact("event.kind", "活动种类（如志愿服务、平安巡逻）", "string"),
        Fact("event.hours", "活动时长（小时）", "number"),
        Fact("event.date", "活动日期", "date"),
        Fact("honour.level", "荣誉级别", "enum", _HONOUR_LEVELS),
        Fact("villager.age", "年龄", "number"),
        Fact("villager.group", "村民小组", "string"),
        Fact("villager.on_court_list", "列入法院失信被执行人名单", "bool"),
        Fact("villager.on_dishonesty_list", "列入村失信清单", "bool"),
        Fact("villager.is_household_head", "是否户主", "bool"),
        Fact("violation.count", "同类违规次数", "number"),
    )
}


def get_fact(code: str) -> Fact | None:
    """The catalogue entry for `code`, or None when the fact is unknown."""
    return FACTS.get(code)


def age_on(birth_date: date, on: date) -> int:
    """Whole years of age on `on`."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def villager_facts(villager, as_of: date, *, lists: Collection[str] | None = None) -> dict:
    """The `villager.*` facts a condition may test on `as_of`, for points and credit rules alike.

    `villager` is anything with name, group_name, is_head and birth_date (a roster row). `lists`, the kinds of
    dishonesty list ("court", "village") the villager is on that day, adds the two list facts; without it
    they are left out (the points path does not load credit entries).
    """
    facts = {
        "villager.name": villager.name,
        "villager.group": villager.group_name or "",
        "villager.is_household_head": bool(villager.is_head),
    }
    if lists is not None:
        facts["villager.on_court_list"] = "court" in lists
        facts["villager.on_dishonesty_list"] = "village" in lists
    if villager.birth_date is not None:
        facts["villager.age"] = age_on(villager.birth_date, as_of)
    return facts
