"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

from backend.models.activities import Event, EventCheckIn, Lesson, LessonAttempt, Poll, PollOption, PollVote
from backend.models.audit import AuditEntry, AuditSeal
from backend.models.auth import RecoveryCode, RefreshToken, RevokedToken, TokenFamily
from backend.models.awards import PointAward
from backend.models.credit import (
    CreditEntry,
    CreditObjection,
    CreditRepair,
    CreditSnapshot,
    CreditState,
    HonourApplication,
)
from backend.models.engagement import BadgeAward, BoardMonth, Participation, PointsTally
from backend.models.idempotency import IdempotencyKey
from backend.models.integrations import EventMapping, InboundEvent
from backend.models.ledger import Account, Checkpoint, CheckpointHead, Entry, Lot, LotMovement, Transfer
from backend.models.notifications import Notification, SubscriptionGrant, WeChatAccessToken
from backend.models.outbox import OutboxMessage
from backend.models.partners import Consent, Institution, PartnerToken, ReportAccess
from backend.models.people import BindingCode, City, Household, Town, User, Village, Villager
from backend.models.rulesets import RuleSet
from backend.models.shops import (
    BudgetUsage,
    PayCode,
    Redemption,
    RedemptionLine,
    RewardItem,
    Shop,
    ShopFunding,
    ShopOrder,
    ShopSettlement,
)
from backend.models.submissions import MediaCheck, Submission, Upload
from backend.models.templates import RuleTemplate, RuleTemplateVersion, TemplateDecision
from backend.models.webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "Account",
    "AuditEntry",
    "AuditSeal",
    "BadgeAward",
    "BindingCode",
    "BoardMonth",
    "BudgetUsage",
    "Checkpoint",
    "CheckpointHead",
    "City",
    "Consent",
    "CreditEntry",
    "CreditObjection",
    "CreditRepair",
    "CreditSnapshot",
    "CreditState",
    "Entry",
    "Event",
    "EventCheckIn",
    "EventMapping",
    "HonourApplication",
    "Household",
    "IdempotencyKey",
    "InboundEvent",
    "Institution",
    "Lesson",
    "LessonAttempt",
    "Lot",
    "LotMovement",
    "MediaCheck",
    "Notification",
    "OutboxMessage",
    "Participation",
    "PartnerToken",
    "PayCode",
    "PointAward",
    "PointsTally",
    "Poll",
    "PollOption",
    "PollVote",
    "RecoveryCode",
    "Redemption",
    "RedemptionLine",
    "RefreshToken",
    "ReportAccess",
    "RevokedToken",
    "RewardItem",
    "RuleSet",
    "RuleTemplate",
    "RuleTemplateVersion",
    "Shop",
    "ShopFunding",
    "ShopOrder",
    "ShopSettlement",
    "Submission",
    "SubscriptionGrant",
    "TemplateDecision",
    "TokenFamily",
    "Town",
    "Transfer",
    "Upload",
    "User",
    "Village",
    "Villager",
    "WeChatAccessToken",
    "WebhookDelivery",
    "WebhookSubscription",
]
