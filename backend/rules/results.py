"""Result dataclasses of credit evaluation; plain data with a JSON-able `to_dict`."""

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

# Line statuses: what a villager sees next to each registered event.
COUNTED, CAPPED, EXPIRED, PENDING, FROZEN, REPAIRED, REVOKED, IGNORED = (
    "counted",
    "capped",
    "expired",
    "pending",
    "frozen",
    "repaired",
    "revoked",
    "ignored",
)
SCORING_STATUSES = frozenset({COUNTED, CAPPED})


def to_jsonable(value: Any) -> Any:
    """Dataclasses, tuples and dates turned into dicts, lists and ISO strings."""
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class CreditLine:
    """One event as it stands at the as-of date; `amount` is what it adds to the score now."""

    event_id: Any
    kind: str
    rule_code: str | None
    version: int | None
    dimension: str | None
    occurred_on: date
    counts_from: date
    stops_on: date | None  # first day it no longer counts
    nominal_amount: int
    amount: int
    status: str
    sentence: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CapApplied:
    """A cap that cut at least one event: rule, period, and how much it removed."""

    rule_code: str
    period: str
    period_key: str
    cap: int
    cut: int
    event_ids: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class RepairApplied:
    """A counted repair and the event it reversed."""

    repair_id: Any
    target_id: Any
    rule_code: str | None
    restored: int


@dataclass(frozen=True, slots=True)
class GateApplied:
    """A gate in force: `cap_level` (with `level`) or `block_redemption`; `source` is an event id or villager."""

    code: str
    label: str
    effect: str
    level: str | None
    source: Any
    binding: bool  # the level would otherwise be higher (always False for block_redemption)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the score is below the next level, and what to do about it."""

    code: str
    kind: str  # gate | deduction | opportunity
    impact: int
    sentence: str
    advice: str


@dataclass(frozen=True, slots=True)
class DimensionScore:
    """The sum of counted lines in one dimension of the credit profile."""

    code: str
    label: str
    score: int
    lines: int


@dataclass(frozen=True, slots=True)
class CreditResult:
    """A villager's credit at `as_of`: score, level, and everything that explains them."""

    as_of: date
    version: int
    base: int
    raw_score: int
    score: int
    clamped: str | None  # "min" or "max" when the bounds cut the raw score
    level: str | None
    level_label: str
    level_before_gates: str | None
    next_level: str | None
    points_to_next_level: int | None
    blocks_redemption: bool
    dimensions: tuple[DimensionScore, ...]
    lines: tuple[CreditLine, ...]
    caps_applied: tuple[CapApplied, ...]
    repairs: tuple[RepairApplied, ...]
    gates: tuple[GateApplied, ...]
    reasons: tuple[Reason, ...]

    @property
    def expired(self) -> tuple[CreditLine, ...]:
        """Lines that no longer count because their validity passed."""
        return tuple(line for line in self.lines if line.status == EXPIRED)

    @property
    def pending(self) -> tuple[CreditLine, ...]:
        """Lines still in their notice window."""
        return tuple(line for line in self.lines if line.status == PENDING)

    def to_dict(self) -> dict:
        """JSON-able form, with `expired` and `pending` spelled out."""
        data = to_jsonable(self)
        data["expired"] = to_jsonable(self.expired)
        data["pending"] = to_jsonable(self.pending)
        return data
