"""The catalogue the console offers editors: facts, operators, kinds of effect, cap and expiry."""

from backend.rules.explain import PLACEHOLDERS
from backend.rules.facts import ACTIVITY_TYPES, EVIDENCE_KINDS, FACTS, OPERATOR_LABELS, TYPE_LABELS
from backend.rules.periods import CAP_PERIODS
from backend.rules.registry import EFFECT_KINDS, EXPIRY_POLICIES, GATE_EFFECTS


def export_catalogue() -> dict:
    """JSON-able catalogue for the console: facts, operators, types, activity and evidence kinds."""
    return {
        "facts": [
            {
                "code": fact.code,
                "label": fact.label,
                "type": fact.type,
                "operators": list(fact.operators),
                "choices": [{"value": value, "label": label} for value, label in fact.choices],
            }
            for fact in FACTS.values()
        ],
        "operators": [{"code": code, "label": label} for code, label in OPERATOR_LABELS.items()],
        "types": [{"code": code, "label": label} for code, label in TYPE_LABELS.items()],
        "activity_types": [{"code": code, "label": label} for code, label in ACTIVITY_TYPES.items()],
        "evidence_kinds": [{"code": code, "label": label} for code, label in EVIDENCE_KINDS.items()],
        "effect_types": [{"code": code, "label": kind.label} for code, kind in EFFECT_KINDS.items()],
        "cap_periods": [{"code": code, "label": kind.label} for code, kind in CAP_PERIODS.items()],
        "expiry_policies": [{"code": code, "label": kind.label} for code, kind in EXPIRY_POLICIES.items()],
        "gate_effects": [{"code": code, "label": label} for code, label in GATE_EFFECTS.items()],
        "placeholders": [{"code": code, "label": label} for code, label in PLACEHOLDERS.items()],
    }
