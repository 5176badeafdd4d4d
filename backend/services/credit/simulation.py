"""Dry-run a draft credit rule set over a whole village before anyone publishes it."""

from sqlalchemy import select

from backend import clock
from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import RuleSet, Villager
from backend.rules import simulate_rule_set, validate_rule_set
from backend.services.access import STAFF_ROLES, Caller, require_role
from backend.services.credit.scores import credit_facts, load_events
from backend.services.rulesets import NoPublishedRuleSet, RuleSetInvalidError, compiled_document, get_rule_set_in_force


class NotCreditRuleSet(InvalidInput):
    status, message = "not_credit_rule_set", "人群模拟只适用于信用规则集；积分规则请用黄金用例检验。"


def simulate_credit_draft(*, caller: Caller, rule_set: RuleSet) -> dict:
    """Every villager's score and level under the published set and under `rule_set`, and what changed.

    The population comes from three queries (villagers, their entries, the published version), whatever its size.
    """
    require_role(caller, *STAFF_ROLES)
    if rule_set.kind != "credit":
        raise NotCreditRuleSet()
    errors = validate_rule_set(rule_set.document)
    if errors:
        raise RuleSetInvalidError(errors=errors)
    session = db.session
    today = clock.today()
    published = get_rule_set_in_force(session, village_id=rule_set.village_id, kind="credit", on=today)
    if published is None:
        raise NoPublishedRuleSet()
    # Plain rows, not ORM entities: a village has thousands of people and the facts need five columns.
    people = session.execute(
        select(Villager.id, Villager.name, Villager.birth_date, Villager.group_name, Villager.is_head).where(
            Villager.village_id == rule_set.village_id, Villager.status == "active"
        )
    ).all()
    events = load_events(session, village_ids=[rule_set.village_id])
    population, names = {}, {}
    for villager in people:
        mine = events.get(villager.id, [])
        population[villager.id] = (credit_facts(villager, mine, today), mine)
        names[villager.id] = villager.name
    result = simulate_rule_set(
        compiled_document(rule_set.document), compiled_document(published.document), population, as_of=today
    )
    data = result.to_dict()
    for person in data["people"]:
        person["villager_id"] = person.pop("person_id")
        person["name"] = names[person["villager_id"]]
    data["draft_version"], data["published_version"] = rule_set.version, published.version
    return data
