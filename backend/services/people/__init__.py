"""Towns, villages, households and villagers: editing, the roster sheet, lists, personal data.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.people.personal_data import get_keyring, id_number_index, reveal

__all__ = [
    "get_keyring",
    "id_number_index",
    "reveal",
]
