"""Calendar arithmetic for cap periods and validity: pure functions of dates."""

import calendar
from datetime import date, timedelta
from functools import lru_cache


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, the day clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


@lru_cache(maxsize=65536)
def cap_period_key(period: str, on: date) -> str:
    """The ledger key of the cap period containing `on`: "2026-11-23", "2026-W47", "2026-11", "2026"."""
    if period == "day":
        return on.isoformat()
    if period == "week":
        year, week, _ = on.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{on.year}-{on.month:02d}"
    if period == "year":
        return str(on.year)
    if period == "ever":
        return "ever"
    if period == "per_event":
        # Each event is its own period; there is nothing to sum across events.
        return "event"
    raise ValueError(f"未知的上限周期：{period}")


def cap_window(period: str, on: date) -> tuple[date, date]:
    """First and last day (inclusive) of the cap period containing `on`."""
    if period in ("day", "per_event"):
        return on, on
    if period == "week":
        start = on - timedelta(days=on.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])
    if period == "year":
        return date(on.year, 1, 1), date(on.year, 12, 31)
    if period == "ever":
        return date.min, date.max
    raise ValueError(f"未知的上限周期：{period}")
