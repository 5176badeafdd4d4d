"""Output schemas of the outbox's dead letters."""

from marshmallow import fields

from backend.api.common import LocalDateTime, OutSchema, PageArgs


class DeadLetterArgs(PageArgs):
    kind = fields.String(load_default=None, metadata={"description": "e.g. wechat.subscribe, webhook"})


class OutboxMessageOut(OutSchema):
    id = fields.Integer()
    message_id = fields.String(metadata={"description": "Stable across retries; receivers deduplicate on it"})
    kind = fields.String()
    village_id = fields.Integer(allow_none=True)
    status = fields.String(metadata={"enum": ["pending", "delivered", "dead"]})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    payload = fields.Dict()
    created_at = LocalDateTime()
    next_attempt_at = LocalDateTime()
    delivered_at = LocalDateTime(allow_none=True)
