"""Pure credit evaluation: events + effective-dated rule-set versions + as-of date -> CreditResult."""

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

from backend.rules.compiled import CompiledRuleSet, Rule, compile_rule_set
from backend.rules.conditions import evaluate_condition
from backend.rules.errors import RuleError
from backend.rules.events import CreditEvent, credit_event_from_dict
from backend.rules.explain import render_sentence
from backend.rules.periods import CAP_PERIODS, add_months, cap_period_key
from backend.rules.reasons import build_reasons
from backend.rules.registry import compute_effect
from backend.rules.results import (
    CAPPED,
    COUNTED,
    EXPIRED,
    FROZEN,
    IGNORED,
    PENDING,
    REPAIRED,
    REVOKED,
    SCORING_STATUSES,
    CapApplied,
    CreditLine,
    CreditResult,
    DimensionScore,
    GateApplied,
    RepairApplied,
)

_ONE_DAY = timedelta(days=1)


class VersionTable:
    """Published versions ordered by effective date; answers which one is in force on a day."""

    def __init__(self, versions: Iterable[Mapping | CompiledRuleSet]):
        compiled = [compile_rule_set(version) for version in versions]
        if not compiled:
            raise RuleError("没有可用的信用规则集版本")
        for version in compiled:
            if version.kind != "credit":
                raise RuleError(f"规则集「{version.name}」不是信用规则集")
        compiled.sort(key=lambda v: (v.effective_from or date.min, v.version))
        self.versions = compiled
        self.starts = [v.effective_from or date.min for v in compiled]

    def at(self, day: date) -> CompiledRuleSet | None:
        """The version in force on `day`, or None before the first one."""
        if self.starts[0] <= day and len(self.starts) == 1:
            return self.versions[0]
        index = bisect.bisect_right(self.starts, day) - 1
        return self.versions[index] if index >= 0 else None


class Scored(NamedTuple):
    """One event after scoring, before it is dressed as a CreditLine (cheap for simulations)."""

    event: CreditEvent
    version: CompiledRuleSet | None
    rule: Rule | None
    nominal: int
    amount: int
    status: str
    stops_on: date | None
    note: str | None


class Tally(NamedTuple):
    """The bare outcome of scoring, shared by evaluate_credit and simulations."""

    current: CompiledRuleSet
    scored: list[Scored]
    raw: int
    score: int
    clamped: str | None
    gates: list[GateApplied]
    level: Any
    natural: Any
    caps: list[CapApplied]
    repaired_by: dict


def evaluate_credit(
    versions: Iterable[Mapping | CompiledRuleSet] | VersionTable,
    events: Iterable[CreditEvent | Mapping],
    *,
    as_of: date,
    villager_facts: Mapping[str, Any] | None = None,
) -> CreditResult:
    """Score, level, itemised lines, caps, expiries, repairs, gates and reasons at `as_of`.

    Each event is scored under the version in force on its own date; the level table, bounds and gates
    come from the version in force at `as_of`. The result does not depend on the order of `events`.
    """
    table = versions if isinstance(versions, VersionTable) else VersionTable(versions)
    facts = dict(villager_facts or {})
    tally = tally_credit(table, [credit_event_from_dict(e) for e in events], as_of=as_of, villager_facts=facts)
    current, level = tally.current, tally.level
    lines = [_line(item, facts.get("villager.name")) for item in tally.scored]
    rank = current.level_rank(level.code)
    next_level = current.levels[rank - 1] if rank > 0 else None
    repairs = [
        RepairApplied(tally.repaired_by[item.event.id].id, item.event.id, item.event.rule_code, item.nominal)
        for item in tally.scored
        if item.status == REPAIRED
    ]
    return CreditResult(
        as_of=as_of,
        version=current.version,
        base=current.base_score,
        raw_score=tally.raw,
        score=tally.score,
        clamped=tally.clamped,
        level=level.code,
        level_label=level.label,
        level_before_gates=tally.natural.code,
        next_level=next_level.code if next_level else None,
        points_to_next_level=max(0, next_level.min - tally.score) if next_level else None,
        blocks_redemption=any(gate.effect == "block_redemption" for gate in tally.gates),
        dimensions=_dimension_scores(current, lines),
        lines=tuple(lines),
        caps_applied=tuple(tally.caps),
        repairs=tuple(repairs),
        gates=tuple(tally.gates),
        reasons=tuple(build_reasons(current, lines, tally.gates, as_of=as_of, next_level=next_level)),
    )


def tally_credit(
    table: VersionTable, events: Sequence[CreditEvent], *, as_of: date, villager_facts: Mapping[str, Any]
) -> Tally:
    """Score and level without sentences or reasons; `events` must already be CreditEvent objects."""
    current = _current(table, as_of)
    ordered = _in_date_order(events)
    total, scored, caps, repaired_by = _score_events(table, ordered, as_of, villager_facts, keep_all=True)
    raw = current.base_score + total
    score, clamped, natural, gates, level = _settle(current, raw, scored, villager_facts)
    return Tally(current, scored, raw, score, clamped, gates, level, natural, caps, repaired_by)


class CreditScore(NamedTuple):
    """Score, level code and the version in force at the as-of date: what a monthly snapshot stores."""

    score: int
    level: str
    version: int


def score_credit(
    table: VersionTable, events: Sequence[CreditEvent], *, as_of: date, villager_facts: Mapping[str, Any]
) -> CreditScore:
    """Score and level only, for snapshots and simulations: the same scoring loop as tally_credit.

    It keeps only the scored items a gate can look at (list entries and level caps), so nothing else is built
    per event; `events` must already be CreditEvent objects.
    """
    current = _current(table, as_of)
    ordered = _in_date_order(events)
    total, kept, _, _ = _score_events(table, ordered, as_of, villager_facts, keep_all=False)
    score, _, _, _, level = _settle(current, current.base_score + total, kept, villager_facts, levels_only=True)
    return CreditScore(score, level.code, current.version)


class CreditState(NamedTuple):
    """A villager's credit on `as_of` and the first later day on which it may differ (None: never by itself).

    Until `valid_until` only a change of the inputs (an entry, a rule version, the villager's facts) can change
    the evaluation; so a state kept with that date answers the gates without re-scoring the history.
    """

    score: int
    level: str
    version: int
    gates: tuple[GateApplied, ...]
    as_of: date
    valid_until: date | None


def credit_state(
    table: VersionTable, events: Sequence[CreditEvent], *, as_of: date, villager_facts: Mapping[str, Any]
) -> CreditState:
    """Score, level, version and gates at `as_of` (the same tally as evaluate_credit), with the day they expire.

    That day is the earliest one after `as_of` on which an event starts or stops counting (its date, the end of
    its notice window, its expiry, the day after a list term ends) or a later rule version takes effect. Facts
    that move with the calendar alone (the villager's age) are the caller's to add.
    """
    tally = tally_credit(table, events, as_of=as_of, villager_facts=villager_facts)
    days = [start for start in table.starts if start > as_of]
    for item in tally.scored:
        event = item.event
        days.extend(
            day
            for day in (
                event.occurred_on,
                event.effective_from,
                item.stops_on,
                event.ends_on + _ONE_DAY if event.ends_on is not None else None,
            )
            if day is not None and day > as_of
        )
    return CreditState(
        tally.score, tally.level.code, tally.current.version, tuple(tally.gates), as_of, min(days, default=None)
    )


def _current(table: VersionTable, as_of: date) -> CompiledRuleSet:
    current = table.at(as_of)
    if current is None:
        raise RuleError(f"{as_of.isoformat()} 时尚无生效的信用规则集")
    return current


def _settle(
    current: CompiledRuleSet, raw: int, scored: Sequence[Scored], villager_facts: Mapping, *, levels_only: bool = False
) -> tuple:
    """Clamp the raw score, find its level and let the gates cap it: (score, clamped, natural, gates, level).

    With `levels_only` the gates that cannot cap a level (such as blocking redemption) are left out.
    """
    score, clamped = _clamp(current, raw)
    natural = current.level_for(score)
    gates = _apply_gates(current, scored, villager_facts, current.level_rank(natural.code), levels_only)
    level = natural
    for gate in gates:
        if gate.level is not None and current.level_rank(gate.level) > current.level_rank(level.code):
            level = current.levels[current.level_rank(gate.level)]
    return score, clamped, natural, gates, level


def _event_key(event: CreditEvent) -> tuple:
    # Ids may be ints or strings; comparing their text keeps the order total and stable.
    return (event.occurred_on, str(event.id))


_BY_DATE = attrgetter("occurred_on")


def _in_date_order(events: Sequence[CreditEvent]) -> list[CreditEvent]:
    """Events by (date, id text); when no two share a date, the date alone gives that order, found faster."""
    if len(set(map(_BY_DATE, events))) == len(events):
        return sorted(events, key=_BY_DATE)
    return sorted(events, key=_event_key)


def _clamp(current: CompiledRuleSet, raw: int) -> tuple[int, str | None]:
    if raw < current.min_score:
        return current.min_score, "min"
    if current.max_score is not None and raw > current.max_score:
        return current.max_score, "max"
    return raw, None


def _score_events(
    table: VersionTable, ordered: Sequence[CreditEvent], as_of: date, villager_facts: Mapping, *, keep_all: bool
) -> tuple[int, list[Scored], list[CapApplied], dict]:
    """Score events in date order: (sum of amounts, scored items, caps that cut, repairs by target id).

    With `keep_all` false only the items `_apply_gates` reads are kept (counting list entries and level caps),
    and the caps are not itemised; the amounts, and so the score, are computed the same way either way.
    """
    repaired_by: dict[Any, CreditEvent] = {}
    for event in ordered:
        if event.kind == "repair" and _in_force(event, as_of) and event.target_id not in repaired_by:
            repaired_by[event.target_id] = event
    # Caps are spent in event-date order by events that count now (expired ones included: the
    # history of what was earned does not change when an old line stops counting).
    used: dict[tuple[str, str], int] = {}
    cuts: dict[tuple[str, str, str], list] = {}
    scored: list[Scored] = []
    total = 0
    # Most villages have one version; comparing with its first day is what table.at does, without the call.
    sole, first_day = (table.versions[0], table.starts[0]) if len(table.versions) == 1 else (None, None)
    rules_of = table.versions[0].rules_by_code if sole is not None else None
    append = scored.append
    for event in ordered:
        occurred_on, kind, code = event.occurred_on, event.kind, event.rule_code
        if sole is None:
            version = table.at(occurred_on)
            rules_of = version.rules_by_code if version is not None else None
        else:
            version = sole if occurred_on >= first_day else None
        if kind == "repair":
            if keep_all:
                status = _basic_status(event, as_of) or COUNTED
                append(Scored(event, version, None, 0, 0, status, None, None))
            continue
        rule = rules_of.get(code) if version is not None and code else None
        nominal, note = _nominal(event, version, rule, villager_facts)
        stops_on = _stops_on(occurred_on, rule.validity_months if rule else None, event.ends_on)
        # A list entry stays a list entry (it may drive gates) even when it names no scoring rule.
        if note is not None and kind != "dishonesty":
            status = IGNORED
        elif event.status == "counted" and event.id not in repaired_by:
            status = COUNTED if (event.counts_from or occurred_on) <= as_of else PENDING
        elif event.status == "revoked":
            status = REVOKED
        elif event.id in repaired_by:
            status = REPAIRED
        else:
            status = _basic_status(event, as_of) or COUNTED
        amount = 0
        if status == COUNTED:
            amount = _apply_cap(rule, event, nominal, used, cuts) if rule is not None and rule.cap else nominal
            if amount != nominal:
                status = CAPPED
            if stops_on is not None and as_of >= stops_on:
                status, amount = EXPIRED, 0
            total += amount
        if keep_all or (
            status in SCORING_STATUSES
            and (kind == "dishonesty" or (rule is not None and rule.effect["type"] == "level_cap"))
        ):
            append(Scored(event, version, rule, nominal, amount, status, stops_on, note))
    caps = (
        [
            CapApplied(code, period, key, entry[0], entry[1], tuple(entry[2]))
            for (code, period, key), entry in cuts.items()
        ]
        if keep_all
        else []
    )
    return total, scored, caps, repaired_by


def _in_force(event: CreditEvent, as_of: date) -> bool:
    return event.status == "counted" and event.effective_from <= as_of


def _basic_status(event: CreditEvent, as_of: date) -> str | None:
    if event.status == "revoked":
        return REVOKED
    if event.status == "frozen":
        return FROZEN
    if event.effective_from > as_of:
        return PENDING
    return None


def _nominal(
    event: CreditEvent, version: CompiledRuleSet | None, rule: Rule | None, villager_facts: Mapping
) -> tuple[int, str | None]:
    if version is None:
        return 0, "事件早于首个规则集生效日期，不计分"
    if event.rule_code is None:
        return 0, None if event.kind == "dishonesty" else "事件未指定规则"
    if rule is None or not rule.moves_credit:
        return 0, f"第 {version.version} 版规则集中没有计入信用分的规则 {event.rule_code}"
    facts = villager_facts
    if event.facts:
        facts = {**villager_facts, **event.facts} if villager_facts else event.facts
    if rule.condition is not None and not evaluate_condition(rule.condition, facts):
        return 0, f"不满足规则 {rule.code} 的条件"
    try:
        return compute_effect(rule.effect, facts, event.quantity, event.amount), None
    except RuleError as error:
        return 0, error.message


@lru_cache(maxsize=65536)
def _stops_on(occurred_on: date, validity_months: int | None, ends_on: date | None) -> date | None:
    candidates = []
    if validity_months:
        candidates.append(add_months(occurred_on, validity_months))
    if ends_on is not None:
        candidates.append(ends_on + _ONE_DAY)
    return min(candidates) if candidates else None


def _apply_cap(rule: Rule, event: CreditEvent, nominal: int, used: dict, cuts: dict) -> int:
    cap = rule.cap
    period, limit = cap["period"], cap["amount"]
    size = nominal if nominal >= 0 else -nominal
    if not CAP_PERIODS[period].accumulates:
        if size <= limit:
            return nominal
        magnitude = limit
        key = cap_period_key(period, event.occurred_on)
    else:
        key = cap_period_key(period, event.occurred_on)
        slot = (rule.code, key)
        spent = used.get(slot, 0)
        room = limit - spent
        magnitude = size if size <= room else max(0, room)
        used[slot] = spent + magnitude
    if magnitude != size:
        entry = cuts.setdefault((rule.code, period, key), [limit, 0, []])
        entry[1] += size - magnitude
        entry[2].append(event.id)
    return magnitude if nominal > 0 else -magnitude


def _line(item: Scored, name: Any) -> CreditLine:
    event, rule = item.event, item.rule
    counts = item.status in SCORING_STATUSES
    return CreditLine(
        event_id=event.id,
        kind=event.kind,
        rule_code=event.rule_code,
        version=item.version.version if item.version else None,
        dimension=rule.dimension if rule else None,
        occurred_on=event.occurred_on,
        counts_from=event.effective_from,
        stops_on=item.stops_on,
        nominal_amount=item.nominal,
        amount=item.amount if counts else 0,
        status=item.status,
        sentence=_sentence(item, name, abs(item.amount) if counts else abs(item.nominal)),
        note=item.note,
    )


def _sentence(item: Scored, name: Any, amount: int) -> str:
    event, rule = item.event, item.rule
    if event.kind == "repair":
        return f"信用修复：撤销事件 {event.target_id} 的影响"
    if rule is None:
        return f"失信名单登记（{event.source or event.list_kind}）" if event.kind == "dishonesty" else ""
    values = {
        "name": name,
        "amount": amount,
        "date": event.occurred_on,
        "code": rule.code,
        "title": rule.title,
        "units": event.facts.get(rule.effect.get("unit_fact", ""), event.quantity),
        "level": rule.effect.get("level"),
        "expires_on": item.stops_on - _ONE_DAY if item.stops_on else None,
    }
    return render_sentence(rule.sentence, values)


def _apply_gates(
    current: CompiledRuleSet, scored: Sequence[Scored], facts: Mapping, natural_rank: int, levels_only: bool = False
) -> list[GateApplied]:
    active = [item for item in scored if item.status in SCORING_STATUSES and item.event.kind != "repair"]
    gates: list[GateApplied] = []
    for item in active:
        rule = item.rule
        if rule is not None and rule.effect["type"] == "level_cap":
            level = rule.effect["level"]
            binding = current.level_rank(level) > natural_rank
            gates.append(GateApplied(rule.code, rule.title, "cap_level", level, item.event.id, binding))
    for gate in current.gates:
        when, effect = gate["when"], gate["effect"]
        if levels_only and effect["type"] != "cap_level":
            continue
        if "condition" in when:
            sources = ["villager"] if evaluate_condition(when["condition"], facts) else []
        else:
            sources = [
                item.event.id
                for item in active
                if item.event.kind == "dishonesty" and item.event.list_kind == when["list"]
            ]
        level = effect.get("level") if effect["type"] == "cap_level" else None
        binding = level is not None and current.level_rank(level) > natural_rank
        gates.extend(GateApplied(gate["code"], gate["label"], effect["type"], level, s, binding) for s in sources)
    return gates


def _dimension_scores(current: CompiledRuleSet, lines: Sequence[CreditLine]) -> tuple[DimensionScore, ...]:
    sums: dict[str, list[int]] = {code: [0, 0] for code, _ in current.dimensions}
    for line in lines:
        if line.status in SCORING_STATUSES and line.dimension is not None:
            entry = sums.setdefault(line.dimension, [0, 0])
            entry[0] += line.amount
            entry[1] += 1
    labels = dict(current.dimensions)
    return tuple(DimensionScore(code, labels.get(code, code), total, n) for code, (total, n) in sums.items())
