"""Points: a villager's own history, committee adjustments, and who is about to lose points."""

from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import PageArgs, page_schema
from backend.api.idempotency import idempotent
from backend.api.ledger.schemas import AdjustmentIn, AdjustmentOut, ExpiringArgs, ExpiringOut, LedgerEntryOut
from backend.models import Village, Villager
from backend.services import ledger
from backend.services.access import STAFF_ROLES, get_scoped_or_404

blp = Blueprint("ledger", __name__, url_prefix="/api/v1", description="积分账本")


@blp.get("/me/ledger")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(LedgerEntryOut, "LedgerPage"))
@signed_in("villager")
def my_ledger(args, caller):
    """My points history, newest first, with the running balance after each entry."""
    return ledger.list_my_ledger(caller=caller, **args)


@blp.post("/villagers/<int:villager_id>/point-adjustments")
@idempotent
@blp.arguments(AdjustmentIn)
@blp.response(201, AdjustmentOut)
@signed_in(*STAFF_ROLES)
def adjust(args, villager_id, caller, claim):
    """Add or deduct points by hand, with a reason (audited). The same Idempotency-Key replays the first."""
    villager = get_scoped_or_404(Villager, villager_id, caller)
    return ledger.adjust_points(caller=caller, villager=villager, claim=claim, **args)


@blp.get("/villages/<int:village_id>/expiring-points")
@blp.arguments(ExpiringArgs, location="query")
@blp.response(200, ExpiringOut(many=True))
@signed_in(*STAFF_ROLES)
def expiring_points(args, village_id, caller):
    """Who loses how many points in the next `days` days (30 by default), soonest first."""
    village = get_scoped_or_404(Village, village_id, caller)
    return ledger.list_expiring_points(caller=caller, village=village, days=args["days"])
