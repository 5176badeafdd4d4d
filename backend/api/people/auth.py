"""Sign-in, refresh and sign-out."""

from datetime import UTC, datetime

from flask import request
from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint
from marshmallow import fields, validate

from backend.api.auth_hooks import signed_in
from backend.api.common import InSchema, OutSchema
from backend.api.ratelimit import limiter
from backend.services.auth import passwords, sign_ins, totp
from backend.services.auth import sessions as auth_service
from backend.settings import current_settings

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌")


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


def _idle_seconds(pair) -> int | None:
    limit = sign_ins.idle_limit(pair.user.role)
    return int(limit.total_seconds()) if limit is not None else None


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


def _client() -> dict:
    return {"user_agent": request.headers.get("User-Agent"), "ip_address": request.remote_addr}


def _login_key() -> str:
    body = request.get_json(silent=True) or {}
    return f"{request.remote_addr}:{str(body.get('username', ''))[:64].lower()}"


@blp.post("/wechat-login")
@blp.arguments(WeChatLoginIn)
@blp.response(200, TokensOut)
def wechat_login(args):
    """Exchange a mini-program `wx.login` code for tokens."""
    return auth_service.login_wechat(code=args["code"])


@blp.post("/login")
@limiter.limit(
    lambda: current_settings().login_failure_limit,
    key_func=_login_key,
    deduct_when=lambda r: r.status_code == 401,
)
@blp.arguments(LoginIn)
@blp.response(200, LoginOut)
def login(args):
    """Staff sign-in with username and password; repeated failures are rate-limited.

    An account with a second factor gets `{second_factor_required: true, mfa_token}` instead of tokens (answer it
    at /auth/login/second-factor within 5 minutes). Tokens with a `restriction` may only change the password
    (`password_change`) or set up the second factor (`totp_setup`), then refresh.
    """
    return auth_service.login_staff(username=args["username"], password=args["password"], **_client())


@blp.post("/login/second-factor")
@limiter.limit(lambda: current_settings().login_failure_limit, deduct_when=lambda r: r.status_code == 401)
@blp.arguments(SecondFactorIn)
@blp.response(200, TokensOut)
def login_second_factor(args):
    """The second step for town, city and platform admins: a 6-digit TOTP `code` or a one-time `recovery_code`."""
    return totp.complete_second_factor_sign_in(**args, **_client())


@blp.post("/password")
@blp.arguments(PasswordChangeIn)
@blp.response(200, TokensOut)
@signed_in()
def change_password(args, caller):
    """Change my password (at least 10 characters of three kinds, not a common one); my other sign-ins end."""
    return passwords.change_password(caller=caller, **args, **_client())


@blp.post("/totp/setup")
@blp.response(200, TotpSetupOut)
@signed_in("committee", "shopkeeper", "town_admin", "city_admin", "admin")
def begin_totp(caller):
    """A new TOTP secret for my authenticator app; it counts once confirmed with a code."""
    return totp.begin_totp_setup(caller=caller)


@blp.post("/totp/confirm")
@blp.arguments(TotpCodeIn)
@blp.response(200, RecoveryCodesOut)
@signed_in("committee", "shopkeeper", "town_admin", "city_admin", "admin")
def confirm_totp(args, caller):
    """Turn the second factor on with a first code; the answer carries ten recovery codes, shown this once."""
    return {"recovery_codes": totp.confirm_totp_setup(caller=caller, code=args["code"])}


@blp.get("/sessions")
@blp.response(200, SignInOut(many=True))
@signed_in()
def list_sign_ins(caller):
    """My active sign-ins (device, address, last used); the one making this request is `current`."""
    return sign_ins.list_my_sign_ins(caller=caller, current_family=get_jwt().get("fam"))


@blp.delete("/sessions/<sign_in_id>")
@blp.response(204)
@signed_in()
def revoke_sign_in(sign_in_id, caller):
    """End one of my sign-ins (for a lost phone or a shared computer)."""
    sign_ins.revoke_my_sign_in(caller=caller, sign_in_id=sign_in_id)


@blp.post("/refresh")
@blp.response(200, TokensOut)
@signed_in(refresh=True)
def refresh(caller):
    """Spend the refresh token (in the Authorization header) for a new pair."""
    claims = get_jwt()
    return auth_service.rotate_refresh_token(jti=claims["jti"], family_id=claims.get("fam"), user_id=caller.user_id)


@blp.post("/logout")
@blp.response(204)
@signed_in()
def logout(caller):
    """Revoke this access token and the refresh tokens of the same sign-in."""
    claims = get_jwt()
    auth_service.logout(access_jti=claims["jti"], access_expires=_expiry(claims["exp"]), family_id=claims.get("fam"))


def _expiry(exp: int) -> datetime:
    return datetime.fromtimestamp(exp, UTC).replace(tzinfo=None)
