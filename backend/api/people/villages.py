"""Towns, villages and households."""

from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.people.schemas import (
    CityIn,
    CityOut,
    HouseholdIn,
    HouseholdListArgs,
    HouseholdOut,
    HouseholdPatch,
    TownIn,
    TownOut,
    VillageIn,
    VillageOut,
    VillagePatch,
)
from backend.models import Household, Village
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.people import directory
from backend.services.people import records as people

blp = Blueprint("villages", __name__, url_prefix="/api/v1", description="镇、村、户")


@blp.get("/cities")
@blp.response(200, CityOut(many=True))
@signed_in("city_admin", "admin")
def list_cities(caller):
    return directory.list_cities(caller=caller)


@blp.post("/cities")
@blp.arguments(CityIn)
@blp.response(201, CityOut)
@signed_in("admin")
def create_city(args, caller):
    return people.create_city(caller=caller, **args)


@blp.get("/towns")
@blp.response(200, TownOut(many=True))
@signed_in("town_admin", "city_admin", "admin")
def list_towns(caller):
    return directory.list_towns(caller=caller)


@blp.post("/towns")
@blp.arguments(TownIn)
@blp.response(201, TownOut)
@signed_in("admin")
def create_town(args, caller):
    return people.create_town(caller=caller, **args)


@blp.get("/villages")
@blp.response(200, VillageOut(many=True))
@signed_in(*STAFF_ROLES, "city_admin")
def list_villages(caller):
    return directory.list_villages(caller=caller)


@blp.post("/villages")
@blp.arguments(VillageIn)
@blp.response(201, VillageOut)
@signed_in("town_admin", "admin")
def create_village(args, caller):
    return people.create_village(caller=caller, **args)


@blp.get("/villages/<int:village_id>")
@blp.response(200, VillageOut)
@signed_in(*STAFF_ROLES, "city_admin")
def get_village(village_id, caller):
    return get_scoped_or_404(Village, village_id, caller)


@blp.patch("/villages/<int:village_id>")
@blp.arguments(VillagePatch)
@blp.response(200, VillageOut)
@signed_in("town_admin", "admin")
def update_village(args, village_id, caller):
    village = get_scoped_or_404(Village, village_id, caller)
    return people.update_village(caller=caller, village=village, changes=args)


@blp.get("/households")
@blp.arguments(HouseholdListArgs, location="query")
@blp.response(200, page_schema(HouseholdOut, "HouseholdPage"))
@signed_in(*STAFF_ROLES)
def list_households(args, caller):
    return directory.list_households(caller=caller, **args)


@blp.post("/households")
@blp.arguments(HouseholdIn)
@blp.response(201, HouseholdOut)
@signed_in(*STAFF_ROLES)
def create_household(args, caller):
    return people.create_household(caller=caller, **args)


@blp.get("/households/<int:household_id>")
@blp.response(200, HouseholdOut)
@signed_in(*STAFF_ROLES)
def get_household(household_id, caller):
    return get_scoped_or_404(Household, household_id, caller)


@blp.patch("/households/<int:household_id>")
@blp.arguments(HouseholdPatch)
@blp.response(200, HouseholdOut)
@signed_in(*STAFF_ROLES)
def update_household(args, household_id, caller):
    household = get_scoped_or_404(Household, household_id, caller)
    return people.update_household(caller=caller, household=household, changes=args)
