"""The audit log: who changed what, for committees and town admins."""

from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.people.schemas import AuditListArgs, AuditOut
from backend.services.access import STAFF_ROLES
from backend.services.people import directory

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="操作日志")


@blp.get("/audit-log")
@blp.arguments(AuditListArgs, location="query")
@blp.response(200, page_schema(AuditOut, "AuditPage"))
@signed_in(*STAFF_ROLES, "city_admin")
def list_audit(args, caller):
    """Who changed what, newest first."""
    return directory.list_audit(caller=caller, **args)
