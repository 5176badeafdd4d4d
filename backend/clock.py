"""The one source of time, so that tests can move it and every module agrees on 'today'.

Stored datetimes are naive UTC (SQLite keeps no zone); dates that people see are in the village's zone.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VILLAGE_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Naive UTC now, at microsecond precision (what both databases store)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in the village."""
    return now().replace(tzinfo=UTC).astimezone(VILLAGE_TZ).date()


def local_date(moment: datetime) -> date:
    """The village date of a stored naive-UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(VILLAGE_TZ).date()


def to_local(moment: datetime) -> datetime:
    """A stored naive-UTC moment as the village's wall-clock time."""
    return moment.replace(tzinfo=UTC).astimezone(VILLAGE_TZ)


def utc_start_of(day: date) -> datetime:
    """The naive-UTC moment at which the village's `day` begins (for filtering stored timestamps by village date)."""
    return datetime.combine(day, datetime.min.time(), VILLAGE_TZ).astimezone(UTC).replace(tzinfo=None)
