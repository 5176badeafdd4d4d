"""Blueprints of the JSON API, one per resource."""


def blueprints() -> list:
    from backend.api import auth, me, submissions, villagers, villages

    return [auth.blp, me.blp, villages.blp, villagers.blp, submissions.blp]
