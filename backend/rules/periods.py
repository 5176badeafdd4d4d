"""Calendar arithmetic and the cap periods: each kind of period is one registry entry (key, window, labels).

A new kind of cap period is one `CapPeriod` line in `CAP_PERIODS`; the schema, the points and credit evaluators,
the explanations and the console's catalogue all read it from here.
"""

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, the day clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def _iso_week(on: date) -> str:
    year, week, _ = on.isocalendar()
    return f"{year}-W{week:02d}"


def _week(on: date) -> tuple[date, date]:
    start = on - timedelta(days=on.weekday())
    return start, start + timedelta(days=6)


def _month(on: date) -> tuple[date, date]:
    return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])


@dataclass(frozen=True, slots=True)
class CapPeriod:
    """A period over which a rule's total is bounded."""

    label: str  # 每月: "每月最多 20 分"
    adjective: str  # 本月: "本月「…」已得 15 分"
    key: Callable[[date], str]  # the ledger key of the period containing a day
    window: Callable[[date], tuple[date, date]]  # its first and last day, inclusive
    # False for a period that is each event on its own: nothing is summed across events.
    accumulates: bool = True


CAP_PERIODS: dict[str, CapPeriod] = {
    "day": CapPeriod("每天", "当天", date.isoformat, lambda on: (on, on)),
    "week": CapPeriod("每周", "本周", _iso_week, _week),
    "month": CapPeriod("每月", "本月", lambda on: f"{on.year}-{on.month:02d}", _month),
    "year": CapPeriod("每年", "本年", lambda on: str(on.year), lambda on: (date(on.year, 1, 1), date(on.year, 12, 31))),
    "ever": CapPeriod("累计（仅限一次）", "累计", lambda on: "ever", lambda on: (date.min, date.max)),
    "per_event": CapPeriod("每次", "本次", lambda on: "event", lambda on: (on, on), accumulates=False),
}


def cap_period(period: str) -> CapPeriod:
    """The registry entry of a stored period code; ValueError for an unknown one."""
    found = CAP_PERIODS.get(period)
    if found is None:
        raise ValueError(f"未知的上限周期：{period}")
    return found


@lru_cache(maxsize=65536)
def cap_period_key(period: str, on: date) -> str:
    """The ledger key of the cap period containing `on`: "2026-11-23", "2026-W47", "2026-11", "2026"."""
    return cap_period(period).key(on)


def cap_window(period: str, on: date) -> tuple[date, date]:
    """First and last day (inclusive) of the cap period containing `on`."""
    return cap_period(period).window(on)
