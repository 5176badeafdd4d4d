"""Earning points: activity awards, speak/photo claims and their review, polls, lessons, events, uploads.

This module is the domain's public face: other domains import only what it exports, never its submodules
(lint-imports checks it). The HTTP layer and the commands call the use cases in the submodules directly.
"""

from backend.services.earning.awards import award_points

__all__ = [
    "award_points",
]
