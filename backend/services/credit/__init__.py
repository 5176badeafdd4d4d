"""The credit score: scores, entries (violations, objections, honours), dishonesty list, repair, snapshots.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.credit.scores import NoCreditRules, credit_report, evaluate_villager, version_on
from backend.services.credit.state import credit_summary, redemption_block

__all__ = [
    "NoCreditRules",
    "credit_report",
    "credit_summary",
    "evaluate_villager",
    "redemption_block",
    "version_on",
]
