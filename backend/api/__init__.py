"""The HTTP layer: the JSON API's blueprints (one package per domain), its extensions and the console."""

from flask import Flask


def init_http(app: Flask) -> None:
    """Bind the HTTP extensions (JWT, rate limiter, OpenAPI) and register every blueprint."""
    from backend.api import auth_hooks, console, health
    from backend.api.base import api
    from backend.api.partners import oauth
    from backend.api.ratelimit import limiter

    auth_hooks.jwt.init_app(app)
    auth_hooks.register_jwt_callbacks(auth_hooks.jwt)
    limiter.init_app(app)
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.components.security_scheme(
        "partnerOAuth",
        {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/api/v1/oauth/token",
                    "scopes": {"credit_report": "信用报告（须村民授权）", "consents": "本机构获得的授权列表"},
                }
            },
        },
    )
    oauth.init_oauth(app)
    app.register_blueprint(health.blp)
    app.register_blueprint(oauth.well_known)
    app.register_blueprint(console.blp)
    for blueprint in blueprints():
        api.register_blueprint(blueprint)


def blueprints() -> list:
    from backend.api.city import templates
    from backend.api.credit import credit
    from backend.api.earning import activities, events, submissions
    from backend.api.engagement import engagement
    from backend.api.ledger import ledger
    from backend.api.outbox import outbox
    from backend.api.partners import consents, integrations, oauth, reports, webhooks
    from backend.api.people import audit, auth, me, villagers, villages
    from backend.api.rulesets import rulesets
    from backend.api.shops import redemptions, shops

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
        outbox.blp,
        oauth.blp,
        consents.blp,
        reports.blp,
        templates.blp,
        integrations.blp,
        webhooks.blp,
        engagement.blp,
    ]
