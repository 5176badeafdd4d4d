"""Sign-in, token rotation and revocation."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import false, select

from backend import clock
from backend.adapters.clients import get_wechat_client
from backend.adapters.wechat import WeChatBusy, WeChatError, WeChatInvalidCode, WeChatRateLimited, WeChatUnavailable
from backend.database import write_transaction
from backend.errors import TooManyRequests, Unauthorized, UpstreamUnavailable
from backend.extensions import db
from backend.models import RefreshToken, RevokedToken, TokenFamily, User

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps response times alike for both failures.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class BadCredentials(Unauthorized):
    status, message = "bad_credentials", "用户名或密码错误。"


class TokenRevoked(Unauthorized):
    status, message = "token_revoked", "登录已失效，请重新登录。"


class WeChatCodeInvalid(Unauthorized):
    status, message = "wechat_code_invalid", "微信登录凭证无效或已使用，请重新打开小程序。"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    user: User


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _issue(user: User, family_id: str) -> TokenPair:
    refresh_jti = str(uuid.uuid4())
    refresh = create_refresh_token(str(user.id), additional_claims={"jti": refresh_jti, "fam": family_id})
    expires = clock.now() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    db.session.add(RefreshToken(jti=refresh_jti, family_id=family_id, expires_at=expires))
    access = create_access_token(str(user.id), additional_claims={"fam": family_id, "role": user.role})
    return TokenPair(access_token=access, refresh_token=refresh, user=user)


def start_session(user: User) -> TokenPair:
    family = TokenFamily(id=str(uuid.uuid4()), user_id=user.id)
    db.session.add(family)
    db.session.flush()  # the family row first: refresh tokens reference it and no relationship orders them
    user.last_login_at = clock.now()
    return _issue(user, family.id)


def login_staff(*, username: str, password: str) -> TokenPair:
    """Password sign-in for committee members, shopkeepers, town admins and admins."""
    with write_transaction() as session:
        user = session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active or user.role == "villager":
            raise BadCredentials()
        return start_session(user)


def _openid_for(code: str) -> tuple[str, str | None]:
    if current_app.config["DEMO_MODE"] and code.startswith("demo:") and len(code) > len("demo:"):
        return "demo-" + code.removeprefix("demo:"), None
    client = get_wechat_client()
    try:
        session_info = client.code_to_session(code)
    except WeChatInvalidCode as exc:
        raise WeChatCodeInvalid() from exc
    except WeChatRateLimited as exc:
        raise TooManyRequests("微信登录过于频繁，请稍后再试。") from exc
    except (WeChatBusy, WeChatUnavailable) as exc:
        raise UpstreamUnavailable("微信服务繁忙，请稍后再试。") from exc
    except WeChatError as exc:
        raise UpstreamUnavailable("微信登录失败（错误码 %(errcode)s），请稍后再试。", errcode=exc.errcode) from exc
    # session_key stays here: it is neither stored nor returned.
    return session_info["openid"], session_info.get("unionid")


def login_wechat(*, code: str) -> TokenPair:
    """Exchange a mini-program login code for tokens, creating an unbound user on first sign-in."""
    openid, unionid = _openid_for(code)
    with write_transaction() as session:
        user = session.execute(select(User).where(User.openid == openid)).scalar_one_or_none()
        if user is None:
            user = User(role="villager", openid=openid, unionid=unionid)
            session.add(user)
            session.flush()
        elif not user.is_active:
            raise Unauthorized("该账号已停用，请联系村委会。")
        return start_session(user)


def rotate_refresh_token(*, jti: str, family_id: str, user_id: int) -> TokenPair:
    """Spend a refresh token for a new pair; a second use of the same token revokes its whole family."""
    with write_transaction() as session:
        token = session.get(RefreshToken, jti)
        family = session.get(TokenFamily, family_id)
        if token is None or family is None or family.revoked_at is not None or token.family_id != family_id:
            raise TokenRevoked()
        if token.used_at is not None:
            # Someone replayed a spent token: assume it was stolen and end every session descended from it.
            family.revoked_at, family.revoked_reason = clock.now(), "reuse"
            session.commit()
            raise TokenRevoked()
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise TokenRevoked()
        token.used_at = clock.now()
        return _issue(user, family_id)


def logout(*, access_jti: str, access_expires: datetime, family_id: str | None) -> None:
    """Revoke this access token and every refresh token of its sign-in."""
    with write_transaction() as session:
        if session.get(RevokedToken, access_jti) is None:
            session.add(RevokedToken(jti=access_jti, expires_at=access_expires))
        family = session.get(TokenFamily, family_id) if family_id else None
        if family is not None and family.revoked_at is None:
            family.revoked_at, family.revoked_reason = clock.now(), "logout"


def token_user(payload: dict) -> tuple[User | None, bool]:
    """The token's user (None if gone) and whether the token is revoked (logged out, or its sign-in family
    revoked or unknown), read in one query since every signed-in request asks."""
    family_id = payload.get("fam")
    logged_out = (
        select(RevokedToken.jti).where(RevokedToken.jti == payload["jti"]).exists()
        if payload.get("type") == "access"
        else false()
    )
    row = db.session.execute(
        select(User, TokenFamily.id, TokenFamily.revoked_at, logged_out)
        .outerjoin(TokenFamily, TokenFamily.id == (family_id or ""))
        .where(User.id == int(payload["sub"]))
    ).one_or_none()
    if row is None:
        return None, True
    user, family, family_revoked_at, is_logged_out = row
    return user, bool(is_logged_out) or family is None or family_revoked_at is not None
