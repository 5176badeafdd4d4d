"""Chinese sentences with `{placeholder}` fields, rendered without eval or attribute access."""

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

PLACEHOLDERS: dict[str, str] = {
    "name": "村民姓名",
    "amount": "分值（绝对值）",
    "date": "发生日期",
    "code": "规则编码",
    "title": "事项名称",
    "units": "数量（如小时数）",
    "level": "等级",
    "expires_on": "到期日期",
}

# Only bare names are substituted: str.format would allow "{x.__class__}" style attribute walks.
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render_sentence(template: str, values: Mapping[str, Any]) -> str:
    """Fill known placeholders; unknown or missing ones stay as written."""

    def substitute(match: re.Match) -> str:
        key = match.group(1)
        if key not in values or values[key] is None:
            return match.group(0)
        return format_value(values[key])

    return _FIELD.sub(substitute, template)


def unknown_placeholders(template: str) -> list[str]:
    """Placeholders in `template` that the renderer does not know."""
    return sorted({key for key in _FIELD.findall(template) if key not in PLACEHOLDERS})


def format_value(value: Any) -> str:
    """Chinese display form of a placeholder value (dates as 2026年11月3日)."""
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def format_date(value: date) -> str:
    """A date the way villagers read it."""
    return f"{value.year}年{value.month}月{value.day}日"
