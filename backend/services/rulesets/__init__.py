"""Rule sets as versioned data: drafts, validation, four-eyes publishing, the version in force.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.rulesets.versions import (
    GoldenTestsFailed,
    NoPublishedRuleSet,
    RuleSetInvalidError,
    compiled_document,
    compiled_rule_set,
    create_rule_set_draft,
    get_rule_set_in_force,
)

__all__ = [
    "GoldenTestsFailed",
    "NoPublishedRuleSet",
    "RuleSetInvalidError",
    "compiled_document",
    "compiled_rule_set",
    "create_rule_set_draft",
    "get_rule_set_in_force",
]
