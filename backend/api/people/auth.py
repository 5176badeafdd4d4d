"""Sign-in, refresh and sign-out."""

from datetime import UTC, datetime

from flask import request
from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint

from backend.api.auth_hooks import signed_in
from backend.api.people.schemas import (
    LoginIn,
    LoginOut,
    PasswordChangeIn,
    RecoveryCodesOut,
    SecondFactorIn,
    SignInOut,
    TokensOut,
    TotpCodeIn,
    TotpSetupOut,
    WeChatLoginIn,
)
from backend.api.ratelimit import limiter
from backend.services.auth import passwords, sign_ins, totp
from backend.services.auth import sessions as auth_service
from backend.settings import current_settings

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌")


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
