"""A villager's consents to share a credit report, the institutions to consent to, and the staff overview."""

from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import PageArgs, page_schema
from backend.api.idempotency import idempotent
from backend.api.partners.schemas import (
    AccessOut,
    ConsentIn,
    ConsentOut,
    ConsentOverviewArgs,
    ConsentOverviewOut,
    InstitutionAdminOut,
    InstitutionCredentialsOut,
    InstitutionIn,
    InstitutionOut,
    InstitutionPatch,
)
from backend.services.access import STAFF_ROLES
from backend.services.partners import consents, institutions

blp = Blueprint("consents", __name__, url_prefix="/api/v1", description="信用报告授权（村民同意）与机构")


@blp.get("/me/consents")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(ConsentOut, "ConsentPage"))
@signed_in("villager")
def list_my_consents(args, caller):
    """My consents, newest first: institution, purpose, what is shared, last day, status."""
    return consents.list_my_consents(caller=caller, **args)


@blp.post("/me/consents")
@idempotent
@blp.arguments(ConsentIn)
@blp.response(201, ConsentOut)
@signed_in("villager")
def grant_consent(args, caller, claim):
    """Let one institution read a minimal credit report for one purpose, until `expires_on` (at most 90 days).

    `shares` picks from level, score_band, reasons, points_band; ID number, phone, address and entries are never
    shared. 409 while a live consent for the same institution and purpose exists; 422 bad input.
    """
    return consents.grant_consent(caller=caller, claim=claim, **args)


@blp.delete("/me/consents/<int:consent_id>")
@blp.response(200, ConsentOut)
@signed_in("villager")
def revoke_consent(consent_id, caller):
    """Withdraw a consent at once; the institution's next request is refused."""
    return consents.revoke_consent(caller=caller, consent_id=consent_id)


@blp.get("/me/consents/<int:consent_id>/accesses")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(AccessOut, "ConsentAccessPage"))
@signed_in("villager")
def list_consent_accesses(args, consent_id, caller):
    """Who read my report under this consent, when and what was shared, and every refused attempt."""
    return consents.list_consent_accesses(caller=caller, consent_id=consent_id, **args)


@blp.get("/consents")
@blp.arguments(ConsentOverviewArgs, location="query")
@blp.response(200, page_schema(ConsentOverviewOut, "ConsentOverviewPage"))
@signed_in(*STAFF_ROLES, "city_admin")
def list_consents(args, caller):
    """Consents in the caller's villages, with how often each was read (the console's overview)."""
    return consents.list_consents_overview(caller=caller, **args)


@blp.get("/institutions")
@blp.response(200, InstitutionOut(many=True))
@signed_in("villager", "city_admin", "admin")
def list_institutions(caller):
    """Active institutions a villager may consent to; admins see every field in GET /institutions/{id}."""
    return institutions.list_institutions(caller=caller)


@blp.get("/institutions/<int:institution_id>")
@blp.response(200, InstitutionAdminOut)
@signed_in("city_admin", "admin")
def get_institution(institution_id, caller):
    return institutions.get_institution(caller=caller, institution_id=institution_id)


@blp.post("/institutions")
@idempotent
@blp.arguments(InstitutionIn)
@blp.response(201, InstitutionCredentialsOut)
@signed_in("admin")
def register_institution(args, caller, claim):
    """Register a bank as an OAuth client; the answer carries its client secret, shown this once."""
    return institutions.register_institution(caller=caller, claim=claim, **args)


@blp.patch("/institutions/<int:institution_id>")
@blp.arguments(InstitutionPatch)
@blp.response(200, InstitutionAdminOut)
@signed_in("admin")
def update_institution(args, institution_id, caller):
    """Rename, rescope, re-limit or deactivate (which ends its tokens at once)."""
    institution = institutions.get_institution(caller=caller, institution_id=institution_id)
    return institutions.update_institution(caller=caller, institution=institution, changes=args)


@blp.post("/institutions/<int:institution_id>/secret")
@blp.response(200, InstitutionCredentialsOut)
@signed_in("admin")
def rotate_secret(institution_id, caller):
    """A new client secret, shown once; the old secret and its tokens stop working."""
    institution = institutions.get_institution(caller=caller, institution_id=institution_id)
    return institutions.rotate_institution_secret(caller=caller, institution=institution)
