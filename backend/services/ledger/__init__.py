"""The points ledger: double-entry, append-only, idempotent, hash-chained (DESIGN.md, "The points ledger").

- accounts: whose account is which, and locking them in one order;
- postings: the in-transaction primitives every domain books through (earn, spend, reverse);
- operations: use cases that own their transaction (manual adjustments, expiry);
- balances: reads (balances, period totals, expiring points, a villager's history);
- integrity: hash chains, Merkle checkpoints and `verify`.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.ledger.accounts import account_for_shop, account_for_villager, lock_sale_accounts
from backend.services.ledger.balances import (
    list_expiring_points,
    list_my_ledger,
    points_earned_between,
    points_summary,
    villager_balance,
)
from backend.services.ledger.integrity import create_checkpoint, ledger_totals, verify_ledger
from backend.services.ledger.operations import ExpiryReport, adjust_points, expire_points
from backend.services.ledger.postings import (
    AlreadyReversed,
    InsufficientPoints,
    NotReversible,
    earn_points,
    reverse_transfer,
    spend_points,
)

__all__ = [
    "AlreadyReversed",
    "ExpiryReport",
    "InsufficientPoints",
    "NotReversible",
    "account_for_shop",
    "account_for_villager",
    "adjust_points",
    "create_checkpoint",
    "earn_points",
    "expire_points",
    "ledger_totals",
    "list_expiring_points",
    "list_my_ledger",
    "lock_sale_accounts",
    "points_earned_between",
    "points_summary",
    "reverse_transfer",
    "spend_points",
    "verify_ledger",
    "villager_balance",
]
