"""Schemas and helpers shared by the blueprints."""

import marshmallow as ma
from marshmallow import fields, validate

from backend import clock


class InSchema(ma.Schema):
    """Input: unknown fields are refused, so a client cannot slip in balances, roles or village ids."""

    class Meta:
        unknown = ma.RAISE


class OutSchema(ma.Schema):
    pass


class PageArgs(InSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """`{items: [...], next_cursor}` around an item schema."""
    return ma.Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema)), "next_cursor": fields.String(allow_none=True)},
        name=name,
    )


class LocalDateTime(fields.DateTime):
    """A stored naive-UTC moment, sent as the village's wall-clock time with its offset (2026-12-07T20:00:00+08:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return super()._serialize(clock.to_local(value), attr, obj, **kwargs)
