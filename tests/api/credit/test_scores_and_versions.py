"""Scores: the villager's page, the committee's view, the profile, versions in force, monthly snapshots."""

from datetime import date

from sqlalchemy import func, select

from backend.extensions import db
from backend.models import CreditSnapshot
from backend.services.credit import snapshots
from tests.api.credit.helpers import line_of, my_credit, record_violation
from tests.conftest import body, use_settings
from tests.factories import auth, make_village, make_villager, make_villager_user
from tests.factories.credit import credit_document, make_credit_rule_set


def test_profile_carries_score_and_level(client, world, frozen):
    record_violation(client, world, rule_code="R04")
    frozen.advance(days=7)
    me = body(client.get("/api/v1/me", headers=auth(world.user)))
    assert me["credit"] == {"score": 970, "level": "A"}


def test_village_without_credit_rules_shows_no_score(client, app):
    village = make_village()
    user = make_villager_user(make_villager(village))
    assert body(client.get("/api/v1/me", headers=auth(user)))["credit"] is None
    response = client.get("/api/v1/me/credit", headers=auth(user))
    assert (response.status_code, body(response)["status"]) == (409, "no_credit_rules")


def test_committee_and_town_see_a_villagers_credit_other_villages_do_not(client, world):
    url = f"/api/v1/villagers/{world.villager.id}/credit"
    assert body(client.get(url, headers=auth(world.cw1)))["score"] == 1000
    assert client.get(url, headers=auth(world.town_admin)).status_code == 200
    assert client.get(url, headers=auth(world.other_cw)).status_code == 404
    assert client.get(url, headers=auth(world.neighbour_user)).status_code == 403


def test_unbound_villager_has_no_credit_page(client, world):
    response = client.get("/api/v1/me/credit", headers=auth(make_villager_user()))
    assert (response.status_code, body(response)["status"]) == (403, "not_bound")


def test_each_entry_is_scored_under_the_version_in_force_on_its_date(client, world, frozen):
    early = body(record_violation(client, world, occurred_on="2026-03-08"))
    harsher = credit_document()
    rule = next(rule for rule in harsher["rules"] if rule["code"] == "R01")
    rule["effect"]["amount"], rule["cap"]["amount"] = -80, 80
    make_credit_rule_set(world.village, document=harsher, version=2, effective_from=date(2026, 4, 1))
    frozen.advance(days=23)  # 2026-04-02
    late = body(record_violation(client, world, occurred_on="2026-04-02"))
    assert (early["rule_version"], late["rule_version"]) == (1, 2)
    frozen.advance(days=7)
    credit = my_credit(client, world)
    assert (line_of(credit, early["id"])["amount"], line_of(credit, late["id"])["amount"]) == (-50, -80)
    assert (credit["version"], credit["score"]) == (2, 870)


def test_caps_are_shown_when_they_cut(client, world, frozen):
    for day in ("2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"):
        record_violation(client, world, rule_code="R02", occurred_on=day)
    frozen.advance(days=7)
    credit = my_credit(client, world)
    assert credit["score"] == 980
    assert [(cap["rule_code"], cap["period"], cap["cut"]) for cap in credit["caps_applied"]] == [("R02", "month", 5)]
    assert sorted(line["status"] for line in credit["lines"]) == ["capped", "counted", "counted", "counted", "counted"]


def test_recompute_writes_one_snapshot_per_villager_per_month_and_history_shows_it(client, world, runner, frozen):
    record_violation(client, world, occurred_on="2026-03-01")
    frozen.advance(days=7)
    for _ in range(2):
        result = runner.invoke(args=["credit", "recompute", "--village", world.village.code])
        assert result.exit_code == 0, result.output
    assert "2026-03 (as of 2026-03-17): 2 snapshots in 1 villages" in result.output
    count = db.session.execute(select(func.count(CreditSnapshot.id))).scalar_one()
    assert count == 2
    frozen.advance(days=30)
    town = runner.invoke(args=["credit", "recompute", "--all"])
    assert town.exit_code == 0, town.output
    assert "3 snapshots in 2 villages" in town.output  # two here, the outsider there
    history = my_credit(client, world)["history"]
    assert history == [
        {"month": "2026-03", "score": 950, "level": "A", "rule_version": 1},
        {"month": "2026-04", "score": 950, "level": "A", "rule_version": 1},
    ]


def test_recompute_in_worker_processes_writes_the_same_snapshots(app, client, world, runner, frozen, monkeypatch):
    record_violation(client, world, occurred_on="2026-03-01")
    frozen.advance(days=7)
    monkeypatch.setattr(snapshots, "VILLAGES_PER_BATCH", 1)  # two villages, two batches, two processes
    columns = (CreditSnapshot.villager_id, CreditSnapshot.score, CreditSnapshot.level, CreditSnapshot.rule_version)

    def recompute(workers):
        use_settings(monkeypatch, app, credit_recompute_workers=workers)
        result = runner.invoke(args=["credit", "recompute", "--all"])
        assert result.exit_code == 0, result.output
        assert "3 snapshots in 2 villages" in result.output
        return sorted(tuple(row) for row in db.session.execute(select(*columns)))

    alone = recompute(1)
    assert (world.villager.id, 950, "A", 1) in alone
    assert recompute(2) == alone


def test_recompute_needs_exactly_one_scope(runner, world):
    assert runner.invoke(args=["credit", "recompute"]).exit_code == 2
    missing = runner.invoke(args=["credit", "recompute", "--village", "NOPE"])
    assert missing.exit_code == 1 and "no village matches NOPE" in missing.output
    bad_month = runner.invoke(args=["credit", "recompute", "--all", "--month", "2026-13"])
    assert bad_month.exit_code == 2
