"""Input and output schemas of the engagement paths (home, badges, leaderboards, board, notices, notifications)."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backend.api.common import InSchema, LocalDateTime, OutSchema, PageArgs, page_schema
from backend.services.engagement.leaderboards import SCOPES

MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM，如 2026-11。")


class StarsOut(OutSchema):
    label = fields.String(metadata={"description": "参与星级: not the credit level"})
    stars = fields.Integer(metadata={"description": "1-5, from lifetime points earned; never lowered"})
    lifetime_points = fields.Integer()
    next_star_at = fields.Integer(allow_none=True)
    text = fields.String()


class StreakOut(OutSchema):
    current = fields.Integer(metadata={"description": "Consecutive weeks with an approved activity"})
    best = fields.Integer()
    active_this_week = fields.Boolean()


class CategoryPointsOut(OutSchema):
    category = fields.String()
    points = fields.Integer()


class BadgeAwardOut(OutSchema):
    code = fields.String(attribute="badge_code")
    tier = fields.String()
    label = fields.String()
    condition = fields.String()
    awarded_on = fields.Date()
    bonus = fields.Integer(attribute="bonus_points")


class OpenActivityOut(OutSchema):
    type = fields.String(metadata={"enum": ["poll", "event", "lesson"]})
    id = fields.Integer()
    title = fields.String()
    until = LocalDateTime(allow_none=True)


class CreditLevelOut(OutSchema):
    score = fields.Integer()
    level = fields.String()


class HomeOut(OutSchema):
    balance = fields.Integer()
    stars = fields.Nested(StarsOut)
    credit = fields.Nested(CreditLevelOut, allow_none=True)
    month = fields.String()
    month_points = fields.Integer()
    month_by_category = fields.List(fields.Nested(CategoryPointsOut))
    streak = fields.Nested(StreakOut)
    latest_badges = fields.List(fields.Nested(BadgeAwardOut))
    rank_in_village = fields.Integer(metadata={"description": "This month, shared ranks for ties"})
    unread_notifications = fields.Integer()
    open_activities = fields.List(fields.Nested(OpenActivityOut))


class ProgressOut(OutSchema):
    current = fields.Integer()
    target = fields.Integer()


class BadgeOut(OutSchema):
    code = fields.String()
    tier = fields.String(metadata={"enum": ["bronze", "silver", "gold"]})
    label = fields.String()
    scope = fields.String(metadata={"enum": ["villager", "household"]})
    description = fields.String()
    condition = fields.String(metadata={"description": "In Chinese, e.g. 参加「志愿服务」类活动 10 次"})
    bonus = fields.Integer()
    awarded_on = fields.Date(allow_none=True)
    progress = fields.Nested(ProgressOut)


class BadgesOut(OutSchema):
    earned = fields.List(fields.Nested(BadgeOut))
    locked = fields.List(fields.Nested(BadgeOut))


class LeaderboardArgs(InSchema):
    scope = fields.String(load_default="village", validate=validate.OneOf(SCOPES))
    period = fields.String(load_default="month", validate=validate.OneOf(("week", "month", "year")))
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
    village_id = fields.Integer(load_default=None, metadata={"description": "Staff: which village"})
    group = fields.String(load_default=None, metadata={"description": "Staff, scope=group: which 村民小组"})
    order = fields.String(load_default="points", validate=validate.OneOf(("points", "per_capita")))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class RankRowOut(OutSchema):
    rank = fields.Integer()
    name = fields.String(metadata={"description": "张*三, 匿名村民; the caller's own row in full"})
    points = fields.Integer()
    members = fields.Integer(metadata={"description": "scope=household"})
    per_capita = fields.Float(metadata={"description": "scope=household"})
    is_me = fields.Boolean()


class LeaderboardOut(OutSchema):
    scope = fields.String()
    period = fields.String()
    period_key = fields.String()
    category = fields.String(allow_none=True)
    group = fields.String(allow_none=True)
    items = fields.List(fields.Nested(RankRowOut))
    me = fields.Nested(RankRowOut, allow_none=True)


class BoardArgs(InSchema):
    month = fields.String(load_default=None, validate=MONTH, metadata={"description": "YYYY-MM; this month if absent"})


class BoardRowOut(OutSchema):
    name = fields.String()
    is_me = fields.Boolean()
    total = fields.Integer()
    points = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "By category"})


class BoardApprovalOut(OutSchema):
    name = fields.String()
    is_me = fields.Boolean()
    on = fields.String()
    activity = fields.String()
    category = fields.String(allow_none=True)
    points = fields.Integer()
    reason = fields.String()


class BoardOut(OutSchema):
    village_id = fields.Integer()
    month = fields.String()
    frozen = fields.Boolean()
    frozen_at = LocalDateTime(allow_none=True)
    rows = fields.List(fields.Nested(BoardRowOut))
    approvals = fields.List(fields.Nested(BoardApprovalOut))
    corrections = fields.List(fields.Nested(BoardApprovalOut), metadata={"description": "Recorded after the freeze"})


class NoticeOut(OutSchema):
    entry_id = fields.Integer(allow_none=True, metadata={"description": "Only on the caller's own entries"})
    kind = fields.String(metadata={"enum": ["honour", "deduction"]})
    kind_label = fields.String()
    name = fields.String()
    rule_code = fields.String(allow_none=True)
    title = fields.String()
    occurred_on = fields.Date()
    objection_deadline = fields.Date(metadata={"description": "Last day to object"})
    objected = fields.Boolean()
    is_me = fields.Boolean()
    how_to_object = fields.String()


class NoticesOut(OutSchema):
    items = fields.List(fields.Nested(NoticeOut))


class ApplicationOut(OutSchema):
    kind = fields.String(metadata={"enum": ["honour", "repair", "objection", "appeal"]})
    id = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    text = fields.String()
    decision_note = fields.String(allow_none=True)
    created_at = LocalDateTime()
    decided_at = LocalDateTime(allow_none=True)


class ApplicationsOut(OutSchema):
    items = fields.List(fields.Nested(ApplicationOut))


class NotificationArgs(PageArgs):
    unread = fields.Boolean(load_default=None)


class NotificationOut(OutSchema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    entity_type = fields.String(allow_none=True)
    entity_id = fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    read_at = LocalDateTime(allow_none=True)


class NotificationPageOut(page_schema(NotificationOut, "NotificationPage")):
    unread = fields.Integer()


class SubscriptionsIn(InSchema):
    results = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.String(),
        required=True,
        metadata={"description": "wx.requestSubscribeMessage's answer: template id -> accept|reject|ban|filter"},
    )

    @validates_schema
    def not_empty(self, data, **_):
        if not data["results"]:
            raise ValidationError("至少需要一个模板的结果。", "results")


class SubscribeTemplateOut(OutSchema):
    kind = fields.String()
    label = fields.String()
    template_id = fields.String()
    remaining = fields.Integer(metadata={"description": "Unused grants: messages that may still be sent"})


class SubscriptionsOut(OutSchema):
    accepted = fields.List(fields.String())
    templates = fields.List(fields.Nested(SubscribeTemplateOut))


class StrictBoolean(fields.Boolean):
    """true or false only: 1, "yes" and "true" are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("应为 true 或 false。")
        return value


class BadgeGainOut(OutSchema):
    villager_id = fields.Integer()
    name = fields.String()
    code = fields.String()
    tier = fields.String()
    label = fields.String()


class BadgeSimulationOut(OutSchema):
    rule_set_id = fields.Integer()
    gains = fields.List(fields.Nested(BadgeGainOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "Per badge tier"})
    bonus_points = fields.Integer(metadata={"description": "Bonus points those gains would book"})


class PrivacyIn(InSchema):
    ranking_opt_out = StrictBoolean(required=True)


class PrivacyOut(OutSchema):
    ranking_opt_out = fields.Boolean()
    village_default = fields.Boolean()
