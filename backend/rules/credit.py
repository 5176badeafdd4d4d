"""Pure credit evaluation: events + effective-dated rule-set versions + as-of date -> CreditResult."""

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from backend.rules.compiled import CompiledRuleSet, Rule, compile_rule_set
from backend.rules.conditions import evaluate_condition
from backend.rules.errors import RuleError
from backend.rules.events import CreditEvent, credit_event_from_dict
from backend.rules.explain import render_sentence
from backend.rules.periods import add_months, cap_period_key
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
        index = bisect.bisect_right(self.starts, day) - 1
        return self.versions[index] if index >= 0 else None


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
    current = table.at(as_of)
    if current is None:
        raise RuleError(f"{as_of.isoformat()} 时尚无生效的信用规则集")
    facts = dict(villager_facts or {})
    ordered = sorted((credit_event_from_dict(e) for e in events), key=_event_key)
    lines, caps, repairs = _score_lines(table, ordered, as_of, facts)
    total = sum(line.amount for line in lines if line.status in SCORING_STATUSES)
    raw = current.base_score + total
    score, clamped = _clamp(current, raw)
    gates = _apply_gates(current, table, ordered, lines, facts, score)
    return _assemble(current, table, as_of, raw, score, clamped, lines, caps, repairs, gates, facts)


def _event_key(event: CreditEvent) -> tuple:
    # Ids may be ints or strings; comparing their text keeps the order total and stable.
    return (event.occurred_on, str(event.id))


def _clamp(current: CompiledRuleSet, raw: int) -> tuple[int, str | None]:
    if raw < current.min_score:
        return current.min_score, "min"
    if current.max_score is not None and raw > current.max_score:
        return current.max_score, "max"
    return raw, None


def _score_lines(
    table: VersionTable, ordered: Sequence[CreditEvent], as_of: date, villager_facts: Mapping
) -> tuple[list[CreditLine], list[CapApplied], list[RepairApplied]]:
    repaired_by: dict[Any, CreditEvent] = {}
    for event in ordered:
        if event.kind == "repair" and _in_force(event, as_of) and event.target_id not in repaired_by:
            repaired_by[event.target_id] = event
    used: dict[tuple[str, str], int] = {}
    cuts: dict[tuple[str, str, str], list] = {}
    lines: list[CreditLine] = []
    repairs: list[RepairApplied] = []
    name = villager_facts.get("villager.name")
    for event in ordered:
        version = table.at(event.occurred_on)
        if event.kind == "repair":
            lines.append(_repair_line(event, version, as_of))
            continue
        rule = version.rules_by_code.get(event.rule_code) if version and event.rule_code else None
        facts = {**villager_facts, **event.facts} if event.facts else villager_facts
        nominal, note = _nominal(event, version, rule, facts)
        stops_on = _stops_on(event, rule)
        status = _status(event, as_of, repaired_by, note, rule)
        amount = 0
        if status == COUNTED and rule is not None and rule.cap and rule.cap["period"] != "per_event":
            amount = _take_from_cap(rule, event, nominal, used, cuts)
        elif status == COUNTED:
            amount = _per_event_cap(rule, nominal)
            if rule is not None and amount != nominal:
                cuts.setdefault((rule.code, "per_event", "event"), [rule.cap["amount"], 0, []])
                entry = cuts[(rule.code, "per_event", "event")]
                entry[1] += abs(nominal - amount)
                entry[2].append(event.id)
        if status == COUNTED:
            if amount != nominal:
                status = CAPPED
            if stops_on is not None and as_of >= stops_on:
                status, amount = EXPIRED, 0
        if status == REPAIRED:
            repairs.append(RepairApplied(repaired_by[event.id].id, event.id, event.rule_code, nominal))
        shown = abs(amount) if status in SCORING_STATUSES else abs(nominal)
        sentence = _sentence(rule, event, name, shown, stops_on)
        lines.append(
            CreditLine(
                event_id=event.id,
                kind=event.kind,
                rule_code=event.rule_code,
                version=version.version if version else None,
                dimension=rule.dimension if rule else None,
                occurred_on=event.occurred_on,
                counts_from=event.effective_from,
                stops_on=stops_on,
                nominal_amount=nominal,
                amount=amount if status in SCORING_STATUSES else 0,
                status=status,
                sentence=sentence,
                note=note,
            )
        )
    caps = [
        CapApplied(code, period, key, entry[0], entry[1], tuple(entry[2]))
        for (code, period, key), entry in cuts.items()
        if entry[1]
    ]
    return lines, caps, repairs


def _in_force(event: CreditEvent, as_of: date) -> bool:
    return event.status == "counted" and event.effective_from <= as_of


def _repair_line(event: CreditEvent, version: CompiledRuleSet | None, as_of: date) -> CreditLine:
    status = _basic_status(event, as_of) or COUNTED
    return CreditLine(
        event_id=event.id,
        kind="repair",
        rule_code=event.rule_code,
        version=version.version if version else None,
        dimension=None,
        occurred_on=event.occurred_on,
        counts_from=event.effective_from,
        stops_on=None,
        nominal_amount=0,
        amount=0,
        status=status,
        sentence=f"信用修复：撤销事件 {event.target_id} 的影响",
    )


def _basic_status(event: CreditEvent, as_of: date) -> str | None:
    if event.status == "revoked":
        return REVOKED
    if event.status == "frozen":
        return FROZEN
    if event.effective_from > as_of:
        return PENDING
    return None


def _status(event: CreditEvent, as_of: date, repaired_by: Mapping, note: str | None, rule: Rule | None) -> str:
    if note is not None and event.kind != "dishonesty":
        return IGNORED
    if event.status == "revoked":
        return REVOKED
    if event.id in repaired_by:
        return REPAIRED
    return _basic_status(event, as_of) or COUNTED


def _nominal(
    event: CreditEvent, version: CompiledRuleSet | None, rule: Rule | None, facts: Mapping
) -> tuple[int, str | None]:
    if version is None:
        return 0, "事件早于首个规则集生效日期，不计分"
    if event.rule_code is None:
        return 0, None if event.kind == "dishonesty" else "事件未指定规则"
    if rule is None or not rule.moves_credit:
        return 0, f"第 {version.version} 版规则集中没有计入信用分的规则 {event.rule_code}"
    if not evaluate_condition(rule.condition, facts):
        return 0, f"不满足规则 {rule.code} 的条件"
    try:
        return compute_effect(rule.effect, facts, event.quantity, event.amount), None
    except RuleError as error:
        return 0, error.message


def _stops_on(event: CreditEvent, rule: Rule | None) -> date | None:
    candidates = []
    if rule is not None and rule.validity_months:
        candidates.append(add_months(event.occurred_on, rule.validity_months))
    if event.ends_on is not None:
        candidates.append(event.ends_on + _ONE_DAY)
    return min(candidates) if candidates else None


def _take_from_cap(rule: Rule, event: CreditEvent, nominal: int, used: dict, cuts: dict) -> int:
    period, limit = rule.cap["period"], rule.cap["amount"]
    key = cap_period_key(period, event.occurred_on)
    slot = (rule.code, key)
    room = max(0, limit - used.get(slot, 0))
    magnitude = min(abs(nominal), room)
    used[slot] = used.get(slot, 0) + magnitude
    if magnitude != abs(nominal):
        entry = cuts.setdefault((rule.code, period, key), [limit, 0, []])
        entry[1] += abs(nominal) - magnitude
        entry[2].append(event.id)
    return magnitude if nominal > 0 else -magnitude


def _per_event_cap(rule: Rule | None, nominal: int) -> int:
    if rule is None or not rule.cap:
        return nominal
    limit = rule.cap["amount"]
    return max(-limit, min(limit, nominal))


def _sentence(rule: Rule | None, event: CreditEvent, name: Any, amount: int, stops_on: date | None) -> str:
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
        "expires_on": stops_on - _ONE_DAY if stops_on else None,
    }
    return render_sentence(rule.sentence, values)


def _apply_gates(
    current: CompiledRuleSet,
    table: VersionTable,
    ordered: Sequence[CreditEvent],
    lines: Sequence[CreditLine],
    facts: Mapping,
    score: int,
) -> list[GateApplied]:
    natural = current.level_for(score)
    natural_rank = current.level_rank(natural.code) if natural else 0
    active = {line.event_id for line in lines if line.status in SCORING_STATUSES and line.kind != "repair"}
    gates: list[GateApplied] = []
    for event in ordered:
        if event.id not in active or event.rule_code is None:
            continue
        rule = table.at(event.occurred_on).rules_by_code.get(event.rule_code)
        if rule is not None and rule.effect["type"] == "level_cap":
            level = rule.effect["level"]
            binding = current.level_rank(level) > natural_rank
            gates.append(GateApplied(rule.code, rule.title, "cap_level", level, event.id, binding))
    for gate in current.gates:
        for source in _gate_sources(gate["when"], ordered, active, facts):
            effect = gate["effect"]
            level = effect.get("level") if effect["type"] == "cap_level" else None
            binding = level is not None and current.level_rank(level) > natural_rank
            gates.append(GateApplied(gate["code"], gate["label"], effect["type"], level, source, binding))
    return gates


def _gate_sources(when: Mapping, ordered: Sequence[CreditEvent], active: set, facts: Mapping) -> list:
    if "condition" in when:
        return ["villager"] if evaluate_condition(when["condition"], facts) else []
    return [
        event.id
        for event in ordered
        if event.kind == "dishonesty" and event.list_kind == when["list"] and event.id in active
    ]


def _assemble(
    current: CompiledRuleSet,
    table: VersionTable,
    as_of: date,
    raw: int,
    score: int,
    clamped: str | None,
    lines: list[CreditLine],
    caps: list[CapApplied],
    repairs: list[RepairApplied],
    gates: list[GateApplied],
    facts: Mapping,
) -> CreditResult:
    natural = current.level_for(score)
    level = natural
    for gate in gates:
        if gate.level is not None and current.level_rank(gate.level) > current.level_rank(level.code):
            level = current.levels[current.level_rank(gate.level)]
    rank = current.level_rank(level.code)
    next_level = current.levels[rank - 1] if rank > 0 else None
    reasons = build_reasons(current, lines, gates, as_of=as_of, next_level=next_level)
    return CreditResult(
        as_of=as_of,
        version=current.version,
        base=current.base_score,
        raw_score=raw,
        score=score,
        clamped=clamped,
        level=level.code,
        level_label=level.label,
        level_before_gates=natural.code,
        next_level=next_level.code if next_level else None,
        points_to_next_level=max(0, next_level.min - score) if next_level else None,
        blocks_redemption=any(gate.effect == "block_redemption" for gate in gates),
        dimensions=_dimension_scores(current, lines),
        lines=tuple(lines),
        caps_applied=tuple(caps),
        repairs=tuple(repairs),
        gates=tuple(gates),
        reasons=tuple(reasons),
    )


def _dimension_scores(current: CompiledRuleSet, lines: Sequence[CreditLine]) -> tuple[DimensionScore, ...]:
    sums: dict[str, list[int]] = {code: [0, 0] for code, _ in current.dimensions}
    for line in lines:
        if line.status in SCORING_STATUSES and line.dimension is not None:
            entry = sums.setdefault(line.dimension, [0, 0])
            entry[0] += line.amount
            entry[1] += 1
    labels = dict(current.dimensions)
    return tuple(DimensionScore(code, labels.get(code, code), total, n) for code, (total, n) in sums.items())
