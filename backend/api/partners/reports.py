"""What institutions call with their bearer token (reports, held consents), and the regulator's access log."""

import csv
import io

from flask import Response
from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import PageArgs, page_schema
from backend.api.partners.oauth import partner_signed_in
from backend.api.partners.schemas import AccessArgs, AccessExportArgs, AccessOut, HeldConsentOut, SignedReportOut
from backend.services.partners import reports

blp = Blueprint("partner", __name__, url_prefix="/api/v1", description="机构查询信用报告（须村民授权）")

BEARER = [{"partnerOAuth": ["credit_report"]}]


@blp.get("/partner/credit-reports/<int:consent_id>")
@blp.response(200, SignedReportOut)
@blp.doc(security=BEARER)
@partner_signed_in
def get_credit_report(consent_id, grant):
    """The minimal report a villager consented to, signed (compact JWS, Ed25519; keys at /.well-known/jwks.json).

    Needs scope `credit_report`. Refused and recorded: 404 no such consent or another institution's, 403 revoked,
    expired or scope not granted, 429 over the institution's rate limit.
    """
    return reports.fetch_credit_report(institution_id=grant.institution.id, scopes=grant.scopes, consent_id=consent_id)


@blp.get("/partner/consents")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(HeldConsentOut, "HeldConsentPage"))
@blp.doc(security=[{"partnerOAuth": ["consents"]}])
@partner_signed_in
def list_held_consents(args, grant):
    """The live consents granted to the calling institution (scope `consents`)."""
    return reports.list_held_consents(institution_id=grant.institution.id, scopes=grant.scopes, **args)


@blp.get("/partner-accesses")
@blp.arguments(AccessArgs, location="query")
@blp.response(200, page_schema(AccessOut, "ReportAccessPage"))
@signed_in("admin", "city_admin")
def list_report_accesses(args, caller):
    """Every report request, granted or refused, newest first (village dates `since`/`until` inclusive)."""
    return reports.list_report_accesses(caller=caller, **args)


@blp.get("/partner-accesses/export.csv")
@blp.arguments(AccessExportArgs, location="query")
@blp.response(200, description="CSV (UTF-8 with BOM, opens in Excel)")
@signed_in("admin", "city_admin")
def export_report_accesses(args, caller):
    """The regulator's export: one row per request, with the consent it relied on."""
    rows = reports.export_report_accesses(caller=caller, **args)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(reports.EXPORT_COLUMNS)
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=partner-accesses.csv"},
    )
