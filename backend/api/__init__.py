"""Blueprints of the JSON API, one per resource."""


def blueprints() -> list:
    from backend.api import auth, credit, ledger, me, redemptions, shops, submissions, villagers, villages

    return [
        auth.blp,
        me.blp,
        ledger.blp,
        villages.blp,
        villagers.blp,
        submissions.blp,
        credit.blp,
        shops.blp,
        redemptions.blp,
    ]
