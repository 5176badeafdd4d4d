"""What a signed-in person sees about themselves."""

from backend.extensions import db
from backend.models import User
from backend.services.access import Caller
from backend.services.credit import credit_summary
from backend.services.ledger import points_summary


def get_profile(*, caller: Caller) -> dict:
    """The caller's account and, once bound, their roster entry, points and credit."""
    user = db.session.get(User, caller.user_id)
    villager = user.villager
    profile = {"user": user, "bound": villager is not None, "villager": villager}
    if villager is not None:
        profile["village"] = villager.village
        profile["household_code"] = villager.household.code if villager.household else None
        profile["points"] = points_summary(villager_id=villager.id)
        profile["credit"] = credit_summary(villager)
    return profile
