"""flask-jwt-extended callbacks: the caller behind a token, revocation, and JWT errors in the one body."""

from functools import wraps

from flask import g
from flask_babel import gettext
from flask_jwt_extended import JWTManager, current_user, verify_jwt_in_request

from backend.errors import error_response
from backend.extensions import db
from backend.models import User
from backend.services.access import Caller, require_role
from backend.services.auth.sessions import token_user

jwt = JWTManager()


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


def verified_caller(*, refresh: bool = False) -> Caller:
    """Verify the request's token once per request (signature, revocation, user) and keep its Caller on `g`.

    Decorators stacked on one view (e.g. `@idempotent` and `@signed_in`) share the one verification.
    """
    callers = g.setdefault("_verified_callers", {})
    if refresh not in callers:
        verify_jwt_in_request(refresh=refresh)
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
