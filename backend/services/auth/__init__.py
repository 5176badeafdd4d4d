"""Sign-in, tokens and linking a WeChat user to a roster entry.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.auth.passwords import check_password_policy
from backend.services.auth.sessions import hash_password

__all__ = [
    "check_password_policy",
    "hash_password",
]
