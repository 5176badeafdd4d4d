"""Input and output schemas of people: sign-in, my page, towns, villages, households, villagers, the audit log."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backend.api.common import InSchema, OutSchema, PageArgs
from backend.services.auth import sign_ins
from backend.settings import current_settings


def _idle_seconds(pair) -> int | None:
    limit = sign_ins.idle_limit(pair.user.role)
    return int(limit.total_seconds()) if limit is not None else None


SEXES = ("男", "女")


class CityOut(OutSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class CityIn(InSchema):
    code = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Z0-9]{2,16}$", error="编码须为 2-16 位大写字母或数字。")
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))


class TownOut(CityOut):
    city_id = fields.Integer(allow_none=True)


class TownIn(CityIn):
    city_id = fields.Integer(load_default=None)


class VillageOut(OutSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    town_id = fields.Integer()


class VillageIn(CityIn):
    town_id = fields.Integer(required=True)


class VillagePatch(InSchema):
    name = fields.String(validate=validate.Length(min=1, max=64))


class HouseholdOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    code = fields.String()
    address = fields.String(allow_none=True)


class HouseholdIn(InSchema):
    village_id = fields.Integer(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    address = fields.String(load_default=None, validate=validate.Length(max=200))


class HouseholdListArgs(PageArgs):
    village_id = fields.Integer(load_default=None)


class HouseholdPatch(InSchema):
    code = fields.String(validate=validate.Length(min=1, max=32))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))


class VillagerOut(OutSchema):
    """A roster entry as staff see it: numbers masked."""

    id = fields.Integer()
    village_id = fields.Integer()
    household_id = fields.Integer(allow_none=True)
    name = fields.String()
    sex = fields.String()
    birth_date = fields.Date(allow_none=True)
    relation = fields.String(allow_none=True)
    is_head = fields.Boolean()
    group_name = fields.String(allow_none=True)
    id_number = fields.String(attribute="id_number_masked")
    phone = fields.String(attribute="phone_masked", allow_none=True)
    status = fields.String()
    frozen = fields.Boolean()
    bound = fields.Function(lambda v: v.user is not None)


class VillagerIn(InSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    id_number = fields.String(required=True, validate=validate.Length(min=15, max=24))
    phone = fields.String(load_default=None, validate=validate.Length(max=20))
    household_id = fields.Integer(load_default=None)
    relation = fields.String(load_default=None, validate=validate.Length(max=16))
    is_head = fields.Boolean(load_default=False)
    group_name = fields.String(load_default=None, validate=validate.Length(max=32))


class VillagerCreateIn(VillagerIn):
    village_id = fields.Integer(required=True)


class VillagerPatch(InSchema):
    name = fields.String(validate=validate.Length(min=1, max=64))
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    household_id = fields.Integer(allow_none=True)
    relation = fields.String(allow_none=True, validate=validate.Length(max=16))
    is_head = fields.Boolean()
    group_name = fields.String(allow_none=True, validate=validate.Length(max=32))
    status = fields.String(validate=validate.OneOf(["active", "moved_out", "deceased"]))
    frozen = fields.Boolean()


class VillagerListArgs(PageArgs):
    village_id = fields.Integer(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=64))


class BindingIn(InSchema):
    village_code = fields.String(validate=validate.Length(min=1, max=16))
    name = fields.String(validate=validate.Length(min=1, max=64))
    id_card_last6 = fields.String(validate=validate.Regexp(r"^[0-9]{5}[0-9Xx]$", error="请输入身份证号后六位。"))
    binding_code = fields.String(validate=validate.Regexp(r"^\s*[0-9]{10}\s*$", error="绑定码为 10 位数字。"))

    @validates_schema
    def _one_way(self, data, **_kwargs):
        by_identity = {"village_code", "name", "id_card_last6"} & data.keys()
        if "binding_code" in data and by_identity:
            raise ValidationError("请只用一种方式绑定：绑定码，或村编码+姓名+身份证后六位。", "_schema")
        if "binding_code" not in data:
            missing = {"village_code", "name", "id_card_last6"} - by_identity
            if missing:
                raise ValidationError({key: ["缺少必填字段。"] for key in sorted(missing)})


class BindingCodeOut(OutSchema):
    code = fields.String()
    expires_at = fields.DateTime()
    png_url = fields.String()


class AuditListArgs(PageArgs):
    village_id = fields.Integer(load_default=None)


class AuditOut(OutSchema):
    id = fields.Integer()
    created_at = fields.DateTime()
    village_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String(allow_none=True)
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)


class WeChatLoginIn(InSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))


class LoginIn(InSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenUserOut(OutSchema):
    id = fields.Integer()
    role = fields.String()
    display_name = fields.String(allow_none=True)
    village_id = fields.Integer(allow_none=True)
    bound = fields.Function(lambda user: user.villager_id is not None)


class TokensOut(OutSchema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.Constant("Bearer")
    expires_in = fields.Function(lambda _: int(current_settings().access_token_lifetime.total_seconds()))
    user = fields.Nested(TokenUserOut)
    bound = fields.Function(lambda pair: pair.user.villager_id is not None)
    restriction = fields.String(
        allow_none=True,
        metadata={"description": "password_change or totp_setup: the only thing these tokens may do first"},
    )
    idle_timeout_seconds = fields.Function(
        _idle_seconds, metadata={"description": "Staff: a sign-in not refreshed this long ends (console hint)"}
    )


class LoginOut(OutSchema):
    """Tokens, or (for an account with a second factor) a challenge to answer at /auth/login/second-factor."""

    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.Function(lambda answer: "Bearer" if hasattr(answer, "access_token") else None)
    expires_in = fields.Function(
        lambda answer: (
            int(current_settings().access_token_lifetime.total_seconds())
            if hasattr(answer, "access_token")
            else answer.expires_in
        )
    )
    user = fields.Nested(TokenUserOut)
    bound = fields.Function(lambda answer: answer.user.villager_id is not None if hasattr(answer, "user") else None)
    restriction = fields.String(allow_none=True)
    idle_timeout_seconds = fields.Function(lambda answer: _idle_seconds(answer) if hasattr(answer, "user") else None)
    second_factor_required = fields.Boolean(dump_default=False)
    mfa_token = fields.String()


class SecondFactorIn(InSchema):
    mfa_token = fields.String(required=True, validate=validate.Length(min=1, max=500))
    code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$", error="动态验证码为 6 位数字。"))
    recovery_code = fields.String(load_default=None, validate=validate.Length(min=1, max=32))


class PasswordChangeIn(InSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TotpCodeIn(InSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="动态验证码为 6 位数字。"))


class TotpSetupOut(OutSchema):
    secret = fields.String(metadata={"description": "Base32, for typing into an authenticator app"})
    otpauth_uri = fields.String(metadata={"description": "For a QR code"})


class RecoveryCodesOut(OutSchema):
    recovery_codes = fields.List(fields.String(), metadata={"description": "Shown once; each works once"})


class SignInOut(OutSchema):
    id = fields.String(attribute="sign_in.id")
    created_at = fields.DateTime(attribute="sign_in.created_at")
    last_seen_at = fields.DateTime(attribute="sign_in.last_seen_at", allow_none=True)
    user_agent = fields.String(attribute="sign_in.user_agent", allow_none=True)
    ip_address = fields.String(attribute="sign_in.ip_address", allow_none=True)
    current = fields.Boolean()


class MeVillagerOut(OutSchema):
    id = fields.Integer()
    name = fields.String()
    sex = fields.String()
    id_number = fields.String(attribute="id_number_masked")
    phone = fields.String(attribute="phone_masked", allow_none=True)
    group_name = fields.String(allow_none=True)
    is_head = fields.Boolean()


class MeUserOut(OutSchema):
    id = fields.Integer()
    role = fields.String()
    display_name = fields.String(allow_none=True)


class ExpiringPointsOut(OutSchema):
    amount = fields.Integer()
    expires_on = fields.Date(metadata={"description": "Last day these points can be spent"})


class MePointsOut(OutSchema):
    balance = fields.Integer()
    expiring_soon = fields.List(fields.Nested(ExpiringPointsOut), metadata={"description": "Within 30 days"})


class MeCreditOut(OutSchema):
    score = fields.Integer()
    level = fields.String()


class MeOut(OutSchema):
    user = fields.Nested(MeUserOut)
    bound = fields.Boolean()
    villager = fields.Nested(MeVillagerOut, allow_none=True)
    village = fields.Nested(VillageOut, allow_none=True)
    household_code = fields.String(allow_none=True)
    points = fields.Nested(MePointsOut, allow_none=True)
    credit = fields.Nested(MeCreditOut, allow_none=True, metadata={"description": "None until credit rules exist"})


class CodeArgs(InSchema):
    code = fields.String(required=True)


class RosterUpload(InSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class RosterArgs(InSchema):
    dry_run = fields.Boolean(load_default=True)


class RowErrorOut(OutSchema):
    row = fields.Integer()
    column = fields.String(allow_none=True)
    reason = fields.String()
    value = fields.String(allow_none=True)


class ImportReportOut(OutSchema):
    dry_run = fields.Boolean()
    total_rows = fields.Integer()
    valid_rows = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorOut))
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    households_created = fields.Integer()
