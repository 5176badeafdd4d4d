"""The credit score (村信用分): reports, violations, objections, honours, dishonesty list, repairs, simulation."""

from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.common import page_schema
from backend.api.credit.schemas import (
    CourtImportOut,
    CourtListFile,
    CourtListImportArgs,
    CreditOut,
    DecisionReasonIn,
    DishonestyIn,
    DishonestyOut,
    EntryListArgs,
    EntryOut,
    HonourIn,
    HonourOut,
    ListStatusArgs,
    NoteIn,
    ObjectionDecisionIn,
    ObjectionIn,
    ObjectionOut,
    RepairIn,
    RepairOut,
    SimulationOut,
    StatusArgs,
    ViolationIn,
)
from backend.models import CreditRepair, HonourApplication, RuleSet, Village, Villager
from backend.services.access import STAFF_ROLES, get_scoped_or_404
from backend.services.credit import dishonesty, repair
from backend.services.credit import entries as credit_entries
from backend.services.credit import scores as credit
from backend.services.credit import simulation as credit_simulation
from backend.services.people import directory

blp = Blueprint("credit", __name__, url_prefix="/api/v1", description="村信用分")


@blp.get("/me/credit")
@blp.response(200, CreditOut)
@signed_in("villager")
def my_credit(caller):
    """Score, level, dimensions, itemised lines (pending ones in their notice window), gates, reasons, history."""
    return credit.get_my_credit(caller=caller)


@blp.get("/villagers/<int:villager_id>/credit")
@blp.response(200, CreditOut)
@signed_in(*STAFF_ROLES)
def villager_credit(villager_id, caller):
    villager = directory.read_villager(caller=caller, villager_id=villager_id, action="villager.credit_read")
    return credit.credit_report(villager=villager)


@blp.post("/credit-entries")
@blp.arguments(ViolationIn)
@blp.response(201, EntryOut)
@signed_in(*STAFF_ROLES)
def record_violation(args, caller):
    """Record a village-rule (村规民约) violation; it counts after the notice (公示) window."""
    villager = get_scoped_or_404(Villager, args.pop("villager_id"), caller)
    return credit_entries.record_violation(caller=caller, villager=villager, **args)


@blp.get("/credit-entries")
@blp.arguments(EntryListArgs, location="query")
@blp.response(200, page_schema(EntryOut, "CreditEntryPage"))
@signed_in(*STAFF_ROLES)
def list_entries(args, caller):
    return credit_entries.list_entries(caller=caller, **args)


@blp.get("/credit-entries/<int:entry_id>")
@blp.response(200, EntryOut)
@signed_in("villager", *STAFF_ROLES)
def get_entry(entry_id, caller):
    return credit_entries.get_entry_for(caller, entry_id)


@blp.post("/credit-entries/<int:entry_id>/objections")
@blp.arguments(ObjectionIn)
@blp.response(201, ObjectionOut)
@signed_in("villager")
def object_to_entry(args, entry_id, caller):
    """Object (异议) during the notice window; the entry is frozen until the committee decides."""
    entry = credit_entries.get_entry_for(caller, entry_id)
    return credit_entries.object_to_entry(caller=caller, entry=entry, reason=args["reason"])


@blp.post("/credit-entries/<int:entry_id>/objection-decision")
@blp.arguments(ObjectionDecisionIn)
@blp.response(200, EntryOut)
@signed_in(*STAFF_ROLES)
def decide_objection(args, entry_id, caller):
    """Upheld: the entry is revoked. Dismissed: it counts from the end of its notice window."""
    entry = credit_entries.get_entry_for(caller, entry_id)
    return credit_entries.decide_objection(caller=caller, entry=entry, **args)


@blp.post("/honours")
@blp.arguments(HonourIn)
@blp.response(201, HonourOut)
@signed_in("villager", *STAFF_ROLES)
def apply_honour(args, caller):
    """An honour application (荣誉申报): a villager for themselves, or the committee for a villager."""
    return credit_entries.apply_honour(caller=caller, **args)


@blp.get("/honours")
@blp.arguments(StatusArgs, location="query")
@blp.response(200, page_schema(HonourOut, "HonourPage"))
@signed_in(*STAFF_ROLES)
def list_honours(args, caller):
    return credit_entries.list_honours(caller=caller, **args)


@blp.post("/honours/<int:application_id>/approve")
@blp.arguments(NoteIn)
@blp.response(200, HonourOut)
@signed_in(*STAFF_ROLES)
def approve_honour(args, application_id, caller):
    application = get_scoped_or_404(HonourApplication, application_id, caller)
    return credit_entries.decide_honour(caller=caller, application=application, approve=True, note=args["note"])


@blp.post("/honours/<int:application_id>/reject")
@blp.arguments(DecisionReasonIn)
@blp.response(200, HonourOut)
@signed_in(*STAFF_ROLES)
def reject_honour(args, application_id, caller):
    application = get_scoped_or_404(HonourApplication, application_id, caller)
    return credit_entries.decide_honour(caller=caller, application=application, approve=False, note=args["reason"])


@blp.post("/dishonesty-entries")
@blp.arguments(DishonestyIn)
@blp.response(201, DishonestyOut)
@signed_in(*STAFF_ROLES)
def add_dishonesty_entry(args, caller):
    """Put a villager on the village dishonesty list (失信清单) for a term, by committee decision."""
    villager = get_scoped_or_404(Villager, args.pop("villager_id"), caller)
    entry = dishonesty.add_dishonesty_entry(caller=caller, villager=villager, **args)
    return dishonesty.listed_entry(entry)


@blp.get("/dishonesty-entries")
@blp.arguments(ListStatusArgs, location="query")
@blp.response(200, page_schema(DishonestyOut, "DishonestyPage"))
@signed_in(*STAFF_ROLES)
def list_dishonesty_entries(args, caller):
    """The list with each entry's status today: upcoming, active, ended (the term is over) or revoked."""
    return dishonesty.list_dishonesty_entries(caller=caller, **args)


@blp.post("/villages/<int:village_id>/court-list-imports")
@blp.arguments(CourtListImportArgs, location="query")
@blp.arguments(CourtListFile, location="files")
@blp.response(200, CourtImportOut)
@signed_in(*STAFF_ROLES)
def import_court_list(args, files, village_id, caller):
    """Upload a court list (.xlsx/.csv with a 身份证号码 column); rows are matched to the roster."""
    village = get_scoped_or_404(Village, village_id, caller)
    upload = files["file"]
    return dishonesty.import_court_list(
        caller=caller, village=village, fileobj=upload.stream, filename=upload.filename or "", **args
    )


@blp.post("/credit-repairs")
@blp.arguments(RepairIn)
@blp.response(201, RepairOut)
@signed_in("villager")
def apply_repair(args, caller):
    """Ask for credit repair (信用修复) of one of your deductions, saying what you did to put it right."""
    entry = credit_entries.get_entry_for(caller, args.pop("entry_id"))
    return repair.apply_repair(caller=caller, entry=entry, **args)


@blp.get("/credit-repairs")
@blp.arguments(StatusArgs, location="query")
@blp.response(200, page_schema(RepairOut, "CreditRepairPage"))
@signed_in(*STAFF_ROLES)
def list_repairs(args, caller):
    return repair.list_repairs(caller=caller, **args)


@blp.post("/credit-repairs/<int:repair_id>/approve")
@blp.arguments(NoteIn)
@blp.response(200, RepairOut)
@signed_in(*STAFF_ROLES)
def approve_repair(args, repair_id, caller):
    request = get_scoped_or_404(CreditRepair, repair_id, caller)
    return repair.decide_repair(caller=caller, repair=request, approve=True, note=args["note"])


@blp.post("/credit-repairs/<int:repair_id>/refuse")
@blp.arguments(DecisionReasonIn)
@blp.response(200, RepairOut)
@signed_in(*STAFF_ROLES)
def refuse_repair(args, repair_id, caller):
    request = get_scoped_or_404(CreditRepair, repair_id, caller)
    return repair.decide_repair(caller=caller, repair=request, approve=False, note=args["reason"])


@blp.post("/rule-sets/<int:rule_set_id>/simulate")
@blp.response(200, SimulationOut)
@signed_in(*STAFF_ROLES)
def simulate_rule_set(rule_set_id, caller):
    """Run a credit draft over the whole village: per-person change, level matrix, rule fires, golden tests."""
    rule_set = get_scoped_or_404(RuleSet, rule_set_id, caller)
    return credit_simulation.simulate_credit_draft(caller=caller, rule_set=rule_set)
