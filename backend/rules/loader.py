"""The demo town's rule sets, shipped as JSON next to the code."""

import json
from importlib import resources

from backend.rules.errors import RuleError

DEMO_RULE_SETS = ("points_qt", "credit_qt")


def load_demo_rule_set(name: str) -> dict:
    """The raw JSON dict of a demo rule set: "points_qt" or "credit_qt"."""
    if name not in DEMO_RULE_SETS:
        raise RuleError(f"没有名为 {name!r} 的示例规则集，可用：{'、'.join(DEMO_RULE_SETS)}")
    text = resources.files("backend.rules").joinpath("demo", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)
