"""The game in the mini-program: home screen, badges, leaderboards, the monthly board, credit notices,
my applications, notifications, subscribe-message grants and the ranking opt-out (DESIGN.md's contract)."""

from datetime import date

from flask_smorest import Blueprint

from backend import clock
from backend.api.auth_hooks import signed_in
from backend.api.engagement.schemas import (
    ApplicationsOut,
    BadgeSimulationOut,
    BadgesOut,
    BoardArgs,
    BoardOut,
    HomeOut,
    LeaderboardArgs,
    LeaderboardOut,
    NoticesOut,
    NotificationArgs,
    NotificationOut,
    NotificationPageOut,
    PrivacyIn,
    PrivacyOut,
    SubscriptionsIn,
    SubscriptionsOut,
)
from backend.api.idempotency import idempotent
from backend.models import RuleSet, Village
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.engagement.applications import list_my_applications
from backend.services.engagement.board import get_board
from backend.services.engagement.leaderboards import get_leaderboard
from backend.services.engagement.me import get_home, list_my_badges, set_privacy
from backend.services.engagement.notices import list_notices
from backend.services.engagement.participation import simulate_badge_draft
from backend.services.notifications import list_my_notifications, mark_read, record_subscriptions

blp = Blueprint("engagement", __name__, url_prefix="/api/v1", description="参与：首页、勋章、排行、公示、通知")


@blp.get("/me/home")
@blp.response(200, HomeOut)
@signed_in("villager")
def home(caller):
    """The home screen in one call."""
    return get_home(caller=caller)


@blp.get("/me/badges")
@blp.response(200, BadgesOut)
@signed_in("villager")
def badges(caller):
    """Earned and locked badges with their condition and progress."""
    return list_my_badges(caller=caller)


@blp.get("/leaderboards")
@blp.arguments(LeaderboardArgs, location="query")
@blp.response(200, LeaderboardOut)
@signed_in("villager", *STAFF_ROLES)
def leaderboard(args, caller):
    """Ranked rows with masked names, and the caller's own row with its rank."""
    return get_leaderboard(caller=caller, **args)


@blp.get("/villages/<int:village_id>/board")
@blp.arguments(BoardArgs, location="query")
@blp.response(200, BoardOut)
@signed_in("villager", *STAFF_ROLES)
def board(args, village_id, caller):
    """The village's 积分公示 of one month (frozen once the month closed; later changes as corrections)."""
    village = get_scoped_or_404(Village, village_id, caller)
    return get_board(caller=caller, village=village, month=_first_day(args["month"]))


@blp.get("/villages/<int:village_id>/notices")
@blp.response(200, NoticesOut)
@signed_in("villager", *STAFF_ROLES)
def notices(village_id, caller):
    """Credit entries in their notice window (公示), with the objection deadline and how to object."""
    village = get_scoped_or_404(Village, village_id, caller)
    return {"items": list_notices(caller=caller, village=village)}


@blp.get("/me/applications")
@blp.response(200, ApplicationsOut)
@signed_in("villager")
def applications(caller):
    """My honour applications, repair requests, objections and appeals."""
    return {"items": list_my_applications(caller=caller)}


@blp.get("/me/notifications")
@blp.arguments(NotificationArgs, location="query")
@blp.response(200, NotificationPageOut)
@signed_in("villager")
def notifications(args, caller):
    """In-app notifications, newest first, with the unread count."""
    return list_my_notifications(caller=caller, **args)


@blp.post("/me/notifications/<int:notification_id>/read")
@blp.response(200, NotificationOut)
@signed_in("villager")
def read(notification_id, caller):
    """Mark one notification read."""
    return mark_read(caller=caller, notification_id=notification_id)


@blp.post("/me/subscriptions")
@idempotent
@blp.arguments(SubscriptionsIn)
@blp.response(200, SubscriptionsOut)
@signed_in("villager")
def subscriptions(args, caller, claim):
    """Record the templates accepted in wx.requestSubscribeMessage: one grant = one message."""
    return record_subscriptions(caller=caller, claim=claim, results=args["results"])


@blp.put("/me/privacy")
@blp.arguments(PrivacyIn)
@blp.response(200, PrivacyOut)
@signed_in("villager")
def privacy(args, caller):
    """Leave or rejoin public rankings (匿名村民)."""
    return set_privacy(caller=caller, ranking_opt_out=args["ranking_opt_out"])


@blp.get("/rule-sets/<int:rule_set_id>/badge-simulation")
@blp.response(200, BadgeSimulationOut)
@signed_in(*STAFF_ROLES)
def badge_simulation(rule_set_id, caller):
    """Who in the village would gain which badge under a points draft (given what they hold), and the bonus."""
    rule_set = get_scoped_or_404(RuleSet, rule_set_id, caller)
    return simulate_badge_draft(caller=caller, rule_set=rule_set)


def _first_day(month: str | None) -> date:
    return date.fromisoformat(f"{month}-01") if month else clock.today().replace(day=1)
