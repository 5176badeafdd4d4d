"""The audit log: who changed what, for committees and town admins."""

from flask_smorest import Blueprint
from marshmallow import fields

from backend.api.auth_hooks import signed_in
from backend.api.common import OutSchema, PageArgs, page_schema
from backend.services.access import STAFF_ROLES
from backend.services.people import directory

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="操作日志")


class AuditListArgs(PageArgs):
    village_id = fields.Integer(load_default=None)


class AuditOut(OutSchema):
    id = fields.Integer()
    created_at = fields.DateTime()
    village_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String(allow_none=True)
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)


@blp.get("/audit-log")
@blp.arguments(AuditListArgs, location="query")
@blp.response(200, page_schema(AuditOut, "AuditPage"))
@signed_in(*STAFF_ROLES, "city_admin")
def list_audit(args, caller):
    """Who changed what, newest first."""
    return directory.list_audit(caller=caller, **args)
