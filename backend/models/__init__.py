"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

from backend.models.activities import Event, EventCheckIn, Lesson, LessonAttempt, Poll, PollOption, PollVote
from backend.models.audit import AuditEntry
from backend.models.auth import RefreshToken, RevokedToken, TokenFamily
from backend.models.people import BindingCode, Household, Town, User, Village, Villager
from backend.models.rulesets import PointAward, RuleSet
from backend.models.submissions import MediaCheck, Submission, Upload

__all__ = [
    "AuditEntry",
    "BindingCode",
    "Event",
    "EventCheckIn",
    "Household",
    "Lesson",
    "LessonAttempt",
    "MediaCheck",
    "PointAward",
    "Poll",
    "PollOption",
    "PollVote",
    "RefreshToken",
    "RevokedToken",
    "RuleSet",
    "Submission",
    "TokenFamily",
    "Town",
    "Upload",
    "User",
    "Village",
    "Villager",
]
