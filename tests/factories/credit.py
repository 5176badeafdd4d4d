"""Factories for credit rule sets, entries, honour applications and repair requests; each commits what it makes."""

import copy
from datetime import date, timedelta

from backend.extensions import db
from backend.models import CreditEntry, CreditRepair, HonourApplication, RuleSet, User, Village, Villager
from backend.rules import load_demo_rule_set


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


TODAY = date(2026, 3, 10)


VILLAGE_GATE = {
    "code": "G04",
    "label": "列入村失信清单期内等级最高为 B",
    "when": {"list": "village"},
    "effect": {"type": "cap_level", "level": "B"},
}


def credit_document(**changes) -> dict:
    """The demo credit set (base 1000; AAA 1050, AA 1000, A 950, B 850; notice 7 days) with a village-list gate."""
    document = copy.deepcopy(load_demo_rule_set("credit_qt"))
    document["gates"].append(copy.deepcopy(VILLAGE_GATE))
    document.update(changes)
    return document


def make_credit_rule_set(village: Village, *, document=None, version=1, effective_from=date(2026, 1, 1), **kw):
    document = copy.deepcopy(document or credit_document())
    status = kw.get("status", "published")
    document.update(version=version, effective_from=effective_from.isoformat() if status != "draft" else None)
    rule_set = RuleSet(
        village_id=village.id,
        kind="credit",
        version=version,
        status=status,
        effective_from=effective_from if status != "draft" else None,
        document=document,
        drafted_by_id=kw.get("drafted_by_id"),
    )
    db.session.add(rule_set)
    db.session.commit()
    return rule_set
