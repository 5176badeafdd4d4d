"""flask-jwt-extended callbacks: the caller behind a token, revocation, and JWT errors in the one body."""

import time
from collections import OrderedDict
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext
from flask_jwt_extended import JWTManager, current_user, get_jwt, verify_jwt_in_request

from backend.api.errors import error_response
from backend.errors import Forbidden
from backend.extensions import db
from backend.models import User
from backend.services.access import Caller, require_role
from backend.services.auth.sessions import token_user


class VerifiedTokens(JWTManager):
    """flask-jwt-extended, keeping each worker's verified token decodes until the token expires.

    A signed-in client sends the same access token with every request for its lifetime (15 minutes); checking
    its signature and decoding it three times over (PyJWT's base64 checks run per character) cost a fifth of a
    signed-in read. A token enters the cache only after a full verification under this app's key and
    algorithms, and leaves it when it expires; revocation and the user are still read on every request (the
    blocklist callback runs after the decode either way).
    """

    MAX_TOKENS = 10_000

    def __init__(self, app=None, **kwargs):
        self._verified: OrderedDict[tuple, dict] = OrderedDict()
        super().__init__(app, **kwargs)

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None, allow_expired: bool = False) -> dict:
        if csrf_value is not None or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        settings = current_app.config
        key = (settings["JWT_SECRET_KEY"], tuple(settings.get("JWT_DECODE_ALGORITHMS") or ()), encoded_token)
        found = self._verified.get(key)
        if found is not None and found.get("exp", 0) > time.time():
            return dict(found)
        claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        self._forget_expired()
        self._verified[key] = claims
        return dict(claims)

    def _forget_expired(self) -> None:
        now = time.time()
        while self._verified and (
            len(self._verified) >= self.MAX_TOKENS or next(iter(self._verified.values())).get("exp", 0) <= now
        ):
            self._verified.popitem(last=False)  # oldest first: tokens of one lifetime expire in that order


jwt = VerifiedTokens()


def _unauthorized(status: str, message: str):
    return error_response(401, status, gettext(message))


def register_jwt_callbacks(jwt: JWTManager) -> None:
    # flask-jwt-extended asks for revocation first and for the user after; one query answers both.
    @jwt.token_in_blocklist_loader
    def _is_revoked(_header, payload):
        user, revoked = token_user(payload)
        g.setdefault("_token_users", {})[payload["jti"]] = user
        return revoked

    @jwt.user_lookup_loader
    def _load_user(_header, payload):
        users = g.get("_token_users", {})
        user = users[payload["jti"]] if payload["jti"] in users else db.session.get(User, int(payload["sub"]))
        return user if user is not None and user.is_active else None

    jwt.expired_token_loader(lambda _h, _p: _unauthorized("token_expired", "登录已过期，请重新登录。"))
    jwt.invalid_token_loader(lambda _reason: _unauthorized("token_invalid", "登录凭证无效，请重新登录。"))
    jwt.unauthorized_loader(lambda _reason: _unauthorized("unauthorized", "请先登录。"))
    jwt.revoked_token_loader(lambda _h, _p: _unauthorized("token_revoked", "登录已失效，请重新登录。"))
    jwt.user_lookup_error_loader(lambda _h, _p: _unauthorized("token_revoked", "登录已失效，请重新登录。"))
    jwt.needs_fresh_token_loader(lambda _h, _p: _unauthorized("fresh_login_required", "请重新登录后再试。"))
    jwt.token_verification_failed_loader(lambda _h, _p: _unauthorized("token_invalid", "登录凭证无效，请重新登录。"))


def current_caller() -> Caller:
    return Caller.of(current_user)


class PasswordChangeRequired(Forbidden):
    status, message = "password_change_required", "首次登录请先修改密码。"


class SecondFactorSetupRequired(Forbidden):
    status, message = "second_factor_setup_required", "请先设置双因素认证（动态验证码）后再使用。"


RESTRICTIONS = {"password_change": PasswordChangeRequired, "totp_setup": SecondFactorSetupRequired}
# What a restricted sign-in may still do: the step it must take, signing out, and seeing its own sign-ins.
RESTRICTED_ENDPOINTS = frozenset(
    f"auth.{name}"
    for name in (
        "change_password",
        "begin_totp",
        "confirm_totp",
        "refresh",
        "logout",
        "list_sign_ins",
        "revoke_sign_in",
    )
)


def verified_caller(*, refresh: bool = False) -> Caller:
    """Verify the request's token once per request (signature, revocation, user) and keep its Caller on `g`.

    Decorators stacked on one view (e.g. `@idempotent` and `@signed_in`) share the one verification.
    """
    callers = g.setdefault("_verified_callers", {})
    if refresh not in callers:
        verify_jwt_in_request(refresh=refresh)
        restriction = get_jwt().get("restrict")
        if restriction and request.endpoint not in RESTRICTED_ENDPOINTS:
            raise RESTRICTIONS[restriction]()
        callers[refresh] = current_caller()
    return callers[refresh]


def signed_in(*roles: str, refresh: bool = False):
    """Require a valid access token (or refresh token) and, if given, one of `roles`; pass the Caller in."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            caller = verified_caller(refresh=refresh)
            if roles:
                require_role(caller, *roles)
            return view(*args, caller=caller, **kwargs)

        return wrapper

    return decorate
