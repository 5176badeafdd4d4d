"""The principal reasons (at most four, by impact) why a score is below the next level, with advice."""

from collections.abc import Sequence
from datetime import date, timedelta

from backend.rules.compiled import CompiledRuleSet, Level
from backend.rules.explain import format_date
from backend.rules.periods import CAP_PERIODS, cap_period_key
from backend.rules.results import SCORING_STATUSES, CreditLine, GateApplied, Reason

MAX_REASONS = 4
_ONE_DAY = timedelta(days=1)


def build_reasons(
    current: CompiledRuleSet,
    lines: Sequence[CreditLine],
    gates: Sequence[GateApplied],
    *,
    as_of: date,
    next_level: Level | None,
) -> list[Reason]:
    """Gates that hold the level down, then deductions by size, then the biggest chances to earn."""
    if next_level is None:
        return []
    reasons = _gate_reasons(gates) + _deduction_reasons(current, lines) + _opportunity_reasons(current, lines, as_of)
    return reasons[:MAX_REASONS]


def _gate_reasons(gates: Sequence[GateApplied]) -> list[Reason]:
    seen: set[str] = set()
    reasons = []
    for gate in gates:
        if not gate.binding or gate.code in seen:
            continue
        seen.add(gate.code)
        reasons.append(
            Reason(
                code=gate.code,
                kind="gate",
                # A gate outweighs any number of points: no amount of credit lifts the level past it.
                impact=10**9,
                sentence=f"{gate.code} {gate.label}，等级最高为 {gate.level}",
                advice="名单期满或依法移出后自动恢复；如有异议可向村委会申请核实",
            )
        )
    return reasons


def _deduction_reasons(current: CompiledRuleSet, lines: Sequence[CreditLine]) -> list[Reason]:
    totals: dict[str, list] = {}
    for line in lines:
        if line.status in SCORING_STATUSES and line.amount < 0 and line.rule_code:
            entry = totals.setdefault(line.rule_code, [0, None])
            entry[0] += -line.amount
            if line.stops_on and (entry[1] is None or line.stops_on < entry[1]):
                entry[1] = line.stops_on
    ordered = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    reasons = []
    for code, (amount, stops_on) in ordered:
        rule = current.rules_by_code.get(code)
        title = rule.title if rule else code
        sentence = f"{code} {title} 扣 {amount} 分"
        if stops_on:
            sentence += f"，将于 {format_date(stops_on - _ONE_DAY)} 后不再计入"
        reasons.append(
            Reason(code=code, kind="deduction", impact=amount, sentence=sentence, advice="改正后可申请信用修复")
        )
    return reasons


def _opportunity_reasons(current: CompiledRuleSet, lines: Sequence[CreditLine], as_of: date) -> list[Reason]:
    earned: dict[tuple[str, str], int] = {}
    for line in lines:
        if line.status in SCORING_STATUSES and line.amount > 0 and line.rule_code:
            rule = current.rules_by_code.get(line.rule_code)
            if rule is not None and rule.cap:
                key = (line.rule_code, cap_period_key(rule.cap["period"], line.occurred_on))
                earned[key] = earned.get(key, 0) + line.amount
    chances = []
    for rule in current.rules:
        if rule.direction <= 0 or not rule.moves_credit or not rule.cap:
            continue
        period = rule.cap["period"]
        room = rule.cap["amount"] - earned.get((rule.code, cap_period_key(period, as_of)), 0)
        if room > 0:
            chances.append((room, rule))
    chances.sort(key=lambda item: (-item[0], item[1].code))
    return [
        Reason(
            code=rule.code,
            kind="opportunity",
            impact=room,
            sentence=f"{rule.code} {rule.title}可加分",
            advice=f"{rule.title}，{CAP_PERIODS[rule.cap['period']].adjective}还可加 {room} 分",
        )
        for room, rule in chances
    ]
