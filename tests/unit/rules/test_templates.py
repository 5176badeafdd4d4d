"""Templates as pure data: allowed ranges, a village's amounts and extra rules, and what changed between versions."""

import copy

from backend.rules import load_demo_rule_set, validate_rule_set
from backend.rules.templates import apply_overrides, check_allowed, diff_rule_sets


def _doc():
    return copy.deepcopy(load_demo_rule_set("points_qt"))


def test_a_range_must_hold_the_templates_own_amount_and_keep_its_sign():
    assert check_allowed(_doc(), {"P04": {"min": 3, "max": 8}}) == {}
    errors = check_allowed(
        _doc(), {"P04": {"min": 6, "max": 8}, "P02": {"min": -1, "max": 3}, "P01": {"min": 1, "max": 5}}
    )
    assert set(errors) == {"P04", "P02", "P01"}


def test_overrides_change_only_the_named_amounts_and_leave_the_template_untouched():
    template = _doc()
    document, errors = apply_overrides(template, {"P04": {"min": 3, "max": 8}}, amounts={"P04": 8}, extra_rules=[])
    assert errors == {}
    assert [r["effect"].get("amount") for r in document["rules"] if r["code"] == "P04"] == [8]
    assert [r["effect"].get("amount") for r in template["rules"] if r["code"] == "P04"] == [5]
    assert validate_rule_set(document) == {}


def test_diff_names_added_removed_changed_rules_and_settings():
    old, new = _doc(), _doc()
    new["rules"] = [r for r in new["rules"] if r["code"] != "P06"] + [dict(new["rules"][0], code="P09")]
    new["rules"][0]["cap"] = {"period": "month", "amount": 30}
    new["points_expiry"] = {"type": "never"}
    diff = diff_rule_sets(old, new)
    assert [r["code"] for r in diff["added"]] == ["P09"] and [r["code"] for r in diff["removed"]] == ["P06"]
    assert diff["changed"] == [
        {
            "code": "P01",
            "title": "环境整治随手拍",
            "fields": {"cap": {"from": {"period": "month", "amount": 20}, "to": {"period": "month", "amount": 30}}},
        }
    ]
    assert set(diff["settings"]) == {"points_expiry"}
    assert diff_rule_sets(old, old) == {"added": [], "removed": [], "changed": [], "settings": {}}
