"""Input and output schemas of partners: institutions, consents, reports, inbound events, webhook subscriptions."""

from marshmallow import ValidationError, fields, validate, validates

from backend.api.common import InSchema, OutSchema, PageArgs
from backend.models.integrations import INBOUND_STATUSES
from backend.models.partners import INSTITUTION_KINDS, PARTNER_SCOPES
from backend.models.webhooks import WEBHOOK_EVENT_TYPES
from backend.services.partners.consents import consent_status
from backend.settings import current_settings

EVENT_TYPE = validate.OneOf(WEBHOOK_EVENT_TYPES)

RATE = validate.Regexp(r"^\d{1,5} per (second|minute|hour|day)$", error="频率格式如 60 per minute。")


class InstitutionOut(OutSchema):
    """What a villager sees of an institution when choosing whom to consent to."""

    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class InstitutionAdminOut(InstitutionOut):
    client_id = fields.String()
    scopes = fields.List(fields.String())
    rate_limit = fields.String(allow_none=True)
    is_active = fields.Boolean()
    secret_rotated_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class InstitutionCredentialsOut(OutSchema):
    """Shown once, when registered or rotated: the secret is kept only as a digest."""

    institution = fields.Nested(InstitutionAdminOut)
    client_id = fields.String(attribute="institution.client_id")
    client_secret = fields.String()


class InstitutionIn(InSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(load_default="bank", validate=validate.OneOf(INSTITUTION_KINDS))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(PARTNER_SCOPES)), required=True, validate=validate.Length(min=1)
    )
    rate_limit = fields.String(load_default=None, allow_none=True, validate=RATE)


class InstitutionPatch(InSchema):
    name = fields.String(validate=validate.Length(min=1, max=64))
    scopes = fields.List(fields.String(validate=validate.OneOf(PARTNER_SCOPES)), validate=validate.Length(min=1))
    rate_limit = fields.String(allow_none=True, validate=RATE)
    is_active = fields.Boolean()


class ConsentIn(InSchema):
    institution_id = fields.Integer(required=True, strict=True)
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=32))
    shares = fields.List(fields.String(validate=validate.Length(max=32)), required=True)
    expires_on = fields.Date(required=True, metadata={"description": "Last day the institution may read; <= 90 days"})


class ConsentOut(OutSchema):
    id = fields.Integer()
    institution = fields.Nested(InstitutionOut)
    purpose = fields.String()
    shares = fields.List(fields.String())
    expires_on = fields.Date()
    status = fields.Function(consent_status)
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class ConsentOverviewOut(OutSchema):
    consent = fields.Nested(ConsentOut)
    village_id = fields.Integer(attribute="consent.village_id")
    villager_id = fields.Integer(attribute="consent.villager_id")
    villager_name = fields.String(allow_none=True)
    reads = fields.Integer()


class ConsentOverviewArgs(PageArgs):
    village_id = fields.Integer(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(["active", "expired", "revoked"]))


class AccessOut(OutSchema):
    id = fields.Integer()
    created_at = fields.DateTime()
    institution = fields.Nested(InstitutionOut)
    consent_id = fields.Integer(allow_none=True)
    outcome = fields.String()
    refusal = fields.String(allow_none=True)
    shared = fields.List(fields.String())
    report_id = fields.String(allow_none=True)
    rule_version = fields.Integer(allow_none=True)
    as_of = fields.Date(allow_none=True)


class AccessExportArgs(InSchema):
    since = fields.Date(load_default=None, metadata={"description": "First village day, inclusive"})
    until = fields.Date(load_default=None, metadata={"description": "Last village day, inclusive"})
    institution_id = fields.Integer(load_default=None)


class AccessArgs(AccessExportArgs, PageArgs):
    pass


class HeldConsentOut(OutSchema):
    consent_id = fields.Integer(attribute="consent.id")
    purpose = fields.String(attribute="consent.purpose")
    shares = fields.List(fields.String(), attribute="consent.shares")
    expires_on = fields.Date(attribute="consent.expires_on")
    subject_name = fields.String()


class SignedReportOut(OutSchema):
    jws = fields.String(metadata={"description": "Compact JWS (Ed25519) over the report; verify with the JWKS"})
    report = fields.Dict(metadata={"description": "The signed payload, decoded, for convenience"})


class InboundEventOut(OutSchema):
    id = fields.Integer()
    event_id = fields.String()
    event_type = fields.String()
    village_id = fields.Integer()
    villager_id = fields.Integer()
    occurred_on = fields.Date()
    activity_type = fields.String()
    data = fields.Dict()
    status = fields.String()
    rule_code = fields.String(allow_none=True)
    points = fields.Integer(allow_none=True)
    explanation = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class InboundListArgs(PageArgs):
    village_id = fields.Integer(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(INBOUND_STATUSES))


class EventApproveIn(InSchema):
    amount = fields.Integer(load_default=None, strict=True, metadata={"description": "Within the rule's range"})


class EventRejectIn(InSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class EventMappingIn(InSchema):
    event_type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    label = fields.String(load_default="", validate=validate.Length(max=64))
    activity_type = fields.String(required=True)
    facts = fields.Dict(keys=fields.String(), load_default=dict)
    fact_fields = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


class EventMappingsIn(InSchema):
    mappings = fields.List(fields.Nested(EventMappingIn), required=True)


class EventMappingOut(OutSchema):
    event_type = fields.String()
    label = fields.String()
    activity_type = fields.String()
    facts = fields.Dict()
    fact_fields = fields.Dict()


class SubscriptionOut(OutSchema):
    id = fields.Integer()
    city_id = fields.Integer(allow_none=True)
    town_id = fields.Integer(allow_none=True)
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class SubscriptionSecretOut(OutSchema):
    subscription = fields.Nested(SubscriptionOut)
    secret = fields.String(metadata={"description": "whsec_...: shown once; verify webhook-signature with it"})


class _UrlMixin(InSchema):
    @validates("url")
    def _https_in_production(self, value: str, **_):
        if current_settings().app_env == "production" and not value.startswith("https://"):
            raise ValidationError("生产环境的推送地址须为 https。")


class SubscriptionIn(_UrlMixin):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=500))
    event_types = fields.List(fields.String(validate=EVENT_TYPE), required=True, validate=validate.Length(min=1))
    description = fields.String(load_default="", validate=validate.Length(max=100))
    city_id = fields.Integer(load_default=None, strict=True)
    town_id = fields.Integer(load_default=None, strict=True)


class SubscriptionPatch(_UrlMixin):
    url = fields.Url(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=500))
    event_types = fields.List(fields.String(validate=EVENT_TYPE), validate=validate.Length(min=1))
    description = fields.String(validate=validate.Length(max=100))
    is_active = fields.Boolean()


class DeliveryOut(OutSchema):
    id = fields.Integer()
    outbox_message_id = fields.Integer()
    webhook_id = fields.String()
    event_type = fields.String()
    attempt = fields.Integer()
    status_code = fields.Integer(allow_none=True)
    ok = fields.Boolean()
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class RedeliveryOut(OutSchema):
    outbox_message_id = fields.Integer(attribute="id")
    webhook_id = fields.String(attribute="message_id")
    status = fields.String()
