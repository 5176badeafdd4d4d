"""Engagement: participation counters, badges, leaderboards, the monthly board, notices and the home screen.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.engagement.participation import lock_household, record_participation

__all__ = [
    "lock_household",
    "record_participation",
]
