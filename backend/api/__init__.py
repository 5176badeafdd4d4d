"""Blueprints of the JSON API, one per resource."""


def blueprints() -> list:
    from backend.api import (
        activities,
        audit,
        auth,
        credit,
        events,
        ledger,
        me,
        redemptions,
        rulesets,
        shops,
        submissions,
        villagers,
        villages,
    )

    return [
        auth.blp,
        me.blp,
        ledger.blp,
        villages.blp,
        villagers.blp,
        submissions.blp,
        rulesets.blp,
        activities.blp,
        events.blp,
        shops.blp,
        redemptions.blp,
        credit.blp,
        audit.blp,
    ]
