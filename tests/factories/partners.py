"""Factories of partners: institutions (with the secret shown once), their tokens, and villagers' consents."""

import base64
from datetime import timedelta

from backend import clock
from backend.services.access import Caller
from backend.services.partners.consents import grant_consent
from backend.services.partners.institutions import register_institution
from tests.factories import make_staff


def make_institution(name: str = "测试农商银行", scopes=("credit_report", "consents"), rate_limit=None):
    """(institution, client secret) of a freshly registered bank."""
    admin = make_staff("admin")
    made = register_institution(
        caller=Caller.of(admin), name=name, kind="bank", scopes=list(scopes), rate_limit=rate_limit
    )
    return made.institution, made.client_secret


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def partner_token(client, institution, secret: str, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = client.post("/api/v1/oauth/token", data=data, headers=basic(institution.client_id, secret))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def make_consent(user, institution, *, purpose="loan_approval", shares=("level", "score_band"), days=30):
    """A consent granted by the villager behind `user` (a bound villager user)."""
    return grant_consent(
        caller=Caller.of(user),
        institution_id=institution.id,
        purpose=purpose,
        shares=list(shares),
        expires_on=clock.today() + timedelta(days=days),
    )


def partner_object_factories(marker: str) -> dict:
    """Path parameter -> an object of the authorisation matrix's other village, its texts carrying `marker`."""

    def institution(world) -> int:
        if "institution" not in world.objects:
            world.objects["institution"] = make_institution(f"{marker}银行")[0].id
        return world.objects["institution"]

    def consent(world) -> int:
        if "consent" not in world.objects:
            from backend.extensions import db
            from backend.models import Institution, User

            user = db.session.query(User).filter_by(villager_id=world.villager.id).one()
            world.objects["consent"] = make_consent(user, db.session.get(Institution, institution(world))).id
        return world.objects["consent"]

    return {"institution_id": institution, "consent_id": consent}


def inbound_object_factories(marker: str) -> dict:
    """An event from the governance platform about the authorisation matrix's other villager, waiting for review."""
    from datetime import date

    from backend.extensions import db
    from backend.models import InboundEvent

    def event(world) -> int:
        if "inbound_event" not in world.objects:
            made = InboundEvent(
                village_id=world.village.id,
                event_id=f"evt-{marker}",
                fingerprint="0" * 64,
                event_type="hazard.resolved",
                villager_id=world.villager.id,
                occurred_on=date(2026, 3, 1),
                data={"title": marker},
                activity_type="photo",
                facts={},
                status="pending_review",
            )
            db.session.add(made)
            db.session.commit()
            world.objects["inbound_event"] = made.id
        return world.objects["inbound_event"]

    return {"inbound_event_id": event}


def webhook_object_factories(marker: str) -> dict:
    """A webhook subscription of the other town, and one of its outbox messages."""
    from backend.extensions import db
    from backend.models import OutboxMessage, WebhookSubscription

    def subscription(world) -> int:
        if "subscription" not in world.objects:
            made = WebhookSubscription(
                town_id=world.town.id,
                url="http://127.0.0.1:9/hooks",
                description=marker,
                secret_cipher=b"x",
                event_types=["points.awarded"],
            )
            db.session.add(made)
            db.session.commit()
            world.objects["subscription"] = made.id
        return world.objects["subscription"]

    def message(world) -> int:
        if "webhook_message" not in world.objects:
            made = OutboxMessage(
                message_id=f"00000000-0000-4000-8000-{len(marker):012d}",
                kind="webhook",
                payload={"subscription_id": subscription(world), "event": {"data": marker}},
                village_id=world.village.id,
                status="delivered",
            )
            db.session.add(made)
            db.session.commit()
            world.objects["webhook_message"] = made.id
        return world.objects["webhook_message"]

    return {"subscription_id": subscription, "outbox_message_id": message}
