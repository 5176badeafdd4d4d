"""The week, month and year keys tallies and boards use, in the same spelling as cap periods."""

from datetime import date

from backend.rules import cap_period_key

PERIODS = ("week", "month", "year")


def period_keys(on: date) -> dict[str, str]:
    """{"week": "2026-W47", "month": "2026-11", "year": "2026"} for the day `on`."""
    return {period: cap_period_key(period, on) for period in PERIODS}
