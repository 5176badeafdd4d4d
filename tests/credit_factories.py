"""Factories for credit entries, honour applications and repair requests; each commits what it makes."""

from datetime import date, timedelta

from backend.extensions import db
from backend.models import CreditEntry, CreditRepair, HonourApplication, User, Village, Villager


def make_credit_entry(villager: Villager, *, rule_code="R01", occurred_on=date(2026, 3, 1), note=None, **extra):
    entry = CreditEntry(
        village_id=villager.village_id,
        villager_id=villager.id,
        kind=extra.pop("kind", "rule"),
        origin=extra.pop("origin", "violation"),
        rule_code=rule_code,
        rule_version=1,
        occurred_on=occurred_on,
        counts_from=occurred_on + timedelta(days=7),
        facts={},
        status=extra.pop("status", "counted"),
        note=note,
        evidence_file_ids=[],
        **extra,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def credit_object_factories(marker: str) -> dict:
    """Path parameter -> an object of the authorisation matrix's other village, its texts carrying `marker`."""

    def entry(world) -> CreditEntry:
        if "credit_entry" not in world.objects:
            world.objects["credit_entry"] = make_credit_entry(world.villager, note=marker).id
        return world.objects["credit_entry"]

    def honour(world) -> int:
        if "honour" not in world.objects:
            application = HonourApplication(
                village_id=world.village.id,
                villager_id=world.villager.id,
                rule_code="H33",
                occurred_on=date(2026, 3, 1),
                description=marker,
                facts={},
                evidence_file_ids=[],
                applied_by_id=_any_user(world.village).id,
            )
            db.session.add(application)
            db.session.commit()
            world.objects["honour"] = application.id
        return world.objects["honour"]

    def repair(world) -> int:
        if "repair" not in world.objects:
            request = CreditRepair(
                village_id=world.village.id,
                villager_id=world.villager.id,
                entry_id=entry(world),
                statement=marker,
                evidence_file_ids=[],
                applied_by_id=_any_user(world.village).id,
            )
            db.session.add(request)
            db.session.commit()
            world.objects["repair"] = request.id
        return world.objects["repair"]

    return {"entry_id": entry, "application_id": honour, "repair_id": repair}


def _any_user(village: Village) -> User:
    return db.session.query(User).filter(User.village_id == village.id).first()
