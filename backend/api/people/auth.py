"""Sign-in, refresh and sign-out."""

from datetime import UTC, datetime

from flask import current_app, request
from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint
from marshmallow import fields, validate

from backend.api.auth_hooks import signed_in
from backend.api.common import InSchema, OutSchema
from backend.api.ratelimit import limiter
from backend.services.auth import sessions as auth_service

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


class TokensOut(OutSchema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.Constant("Bearer")
    expires_in = fields.Function(lambda _: int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()))
    user = fields.Nested(TokenUserOut)
    bound = fields.Function(lambda pair: pair.user.villager_id is not None)


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
    lambda: current_app.config["LOGIN_FAILURE_LIMIT"],
    key_func=_login_key,
    deduct_when=lambda r: r.status_code == 401,
)
@blp.arguments(LoginIn)
@blp.response(200, TokensOut)
def login(args):
    """Staff sign-in with username and password; repeated failures are rate-limited."""
    return auth_service.login_staff(username=args["username"], password=args["password"])


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
