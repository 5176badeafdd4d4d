"""The roster: villagers, binding codes, import and export."""

import io

from flask import send_file, url_for
from flask_smorest import Blueprint

from backend.adapters.qr import qr_png
from backend.adapters.roster_sheet import parse_roster
from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.people.schemas import (
    BindingCodeOut,
    CodeArgs,
    ImportReportOut,
    RosterArgs,
    RosterUpload,
    VillagerCreateIn,
    VillagerListArgs,
    VillagerOut,
    VillagerPatch,
)
from backend.models import Village, Villager
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.auth import binding
from backend.services.people import directory, roster
from backend.services.people import records as people

blp = Blueprint("villagers", __name__, url_prefix="/api/v1", description="花名册")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.get("/villagers")
@blp.arguments(VillagerListArgs, location="query")
@blp.response(200, page_schema(VillagerOut, "VillagerPage"))
@signed_in(*STAFF_ROLES)
def list_villagers(args, caller):
    return directory.list_villagers(caller=caller, **args)


@blp.post("/villagers")
@blp.arguments(VillagerCreateIn)
@blp.response(201, VillagerOut)
@signed_in(*STAFF_ROLES)
def create_villager(args, caller):
    village_id = args.pop("village_id")
    return people.create_villager(caller=caller, village_id=village_id, fields=args)


@blp.get("/villagers/<int:villager_id>")
@blp.response(200, VillagerOut)
@signed_in(*STAFF_ROLES)
def get_villager(villager_id, caller):
    """One roster entry (numbers masked); the read is audited."""
    return directory.read_villager(caller=caller, villager_id=villager_id)


@blp.patch("/villagers/<int:villager_id>")
@blp.arguments(VillagerPatch)
@blp.response(200, VillagerOut)
@signed_in(*STAFF_ROLES)
def update_villager(args, villager_id, caller):
    villager = get_scoped_or_404(Villager, villager_id, caller)
    return people.update_villager(caller=caller, villager=villager, changes=args)


@blp.post("/villagers/<int:villager_id>/binding-code")
@blp.response(201, BindingCodeOut)
@signed_in(*STAFF_ROLES)
def issue_binding_code(villager_id, caller):
    """A one-time code (valid 7 days) the villager types or scans to bind their WeChat account."""
    villager = get_scoped_or_404(Villager, villager_id, caller)
    code, expires_at = binding.issue_binding_code(caller=caller, villager=villager)
    png = url_for("villagers.binding_code_png", villager_id=villager_id, code=code)
    return {"code": code, "expires_at": expires_at, "png_url": png}


@blp.get("/villagers/<int:villager_id>/binding-code.png")
@blp.arguments(CodeArgs, location="query")
@blp.response(200, content_type="image/png")
@signed_in(*STAFF_ROLES)
def binding_code_png(args, villager_id, caller):
    """The binding code drawn as a QR code, for printing."""
    villager = get_scoped_or_404(Villager, villager_id, caller)
    binding.check_binding_code(villager=villager, code=args["code"])
    return send_file(io.BytesIO(qr_png(args["code"])), mimetype="image/png")


@blp.delete("/villagers/<int:villager_id>/binding")
@blp.response(204)
@signed_in(*STAFF_ROLES)
def unbind(villager_id, caller):
    """Release the roster entry from its WeChat account (a lost or new phone)."""
    binding.unbind_villager(caller=caller, villager=get_scoped_or_404(Villager, villager_id, caller))


@blp.post("/villages/<int:village_id>/roster-imports")
@blp.arguments(RosterArgs, location="query")
@blp.arguments(RosterUpload, location="files")
@blp.response(200, ImportReportOut)
@signed_in(*STAFF_ROLES)
def import_roster(args, files, village_id, caller):
    """Upload .xlsx or .csv; `dry_run=true` (default) only reports, `dry_run=false` imports all or nothing."""
    village = get_scoped_or_404(Village, village_id, caller)
    upload = files["file"]
    parsed = parse_roster(upload.stream, upload.filename or "")
    return roster.import_roster(caller=caller, village=village, parsed=parsed, dry_run=args["dry_run"])


@blp.get("/villages/<int:village_id>/roster.xlsx")
@blp.response(200, content_type=XLSX)
@signed_in(*STAFF_ROLES)
def export_roster(village_id, caller):
    """The roster as .xlsx with ID and phone numbers masked."""
    village = get_scoped_or_404(Village, village_id, caller)
    content = roster.export_roster(caller=caller, village=village)
    return send_file(
        io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=f"{village.code}-花名册.xlsx"
    )
