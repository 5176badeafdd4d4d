"""Sign-in, token rotation and revocation."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_jwt_extended import create_access_token, create_refresh_token
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import false, select

from backend import clock
from backend.adapters.clients import get_wechat_client
from backend.adapters.wechat import WeChatBusy, WeChatError, WeChatInvalidCode, WeChatRateLimited, WeChatUnavailable
from backend.database import write_transaction
from backend.errors import TooManyRequests, Unauthorized, UpstreamUnavailable
from backend.extensions import db
from backend.models import RefreshToken, RevokedToken, TokenFamily, User
from backend.services.auth.sign_ins import is_idle
from backend.settings import current_settings

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps response times alike for both failures.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class BadCredentials(Unauthorized):
    status, message = "bad_credentials", "用户名或密码错误。"


class TokenRevoked(Unauthorized):
    status, message = "token_revoked", "登录已失效，请重新登录。"


class SignInIdle(Unauthorized):
    status, message = "sign_in_idle", "长时间未操作，已自动退出，请重新登录。"


class WeChatCodeInvalid(Unauthorized):
    status, message = "wechat_code_invalid", "微信登录凭证无效或已使用，请重新打开小程序。"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    user: User
    # What the tokens may do until the person acts: None, "password_change" or "totp_setup".
    restriction: str | None = None


@dataclass(frozen=True)
class SecondFactorChallenge:
    """A password that was right, for an account with a second factor: no tokens until the code is given."""

    mfa_token: str
    expires_in: int = 300
    second_factor_required: bool = True


def restriction_of(user: User) -> str | None:
    """What a sign-in of `user` must do first: change a password someone else set, or set up a second factor."""
    if user.role == "villager":
        return None
    if user.must_change_password:
        return "password_change"
    roles = current_settings().totp_required_roles
    if user.role in roles and user.totp_enabled_at is None:
        return "totp_setup"
    return None


def _challenge_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_settings().secret_key, salt="staff-second-factor")


def second_factor_challenge(user: User) -> SecondFactorChallenge:
    # Bound to the password hash, so a password change voids challenges handed out before it.
    token = _challenge_serializer().dumps({"u": user.id, "p": (user.password_hash or "")[-16:]})
    return SecondFactorChallenge(mfa_token=token)


def read_second_factor_challenge(session, mfa_token: str) -> User:
    """The user a challenge (at most 5 minutes old) was handed to; TokenRevoked when it is stale or forged."""
    try:
        data = _challenge_serializer().loads(mfa_token, max_age=SecondFactorChallenge.expires_in)
    except BadData:
        raise TokenRevoked() from None
    user = session.execute(select(User).where(User.id == int(data["u"])).with_for_update()).scalar_one_or_none()
    if user is None or not user.is_active or (user.password_hash or "")[-16:] != data["p"]:
        raise TokenRevoked()
    return user


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
    expires = clock.now() + current_settings().refresh_token_lifetime
    db.session.add(RefreshToken(jti=refresh_jti, family_id=family_id, expires_at=expires))
    claims = {"fam": family_id, "role": user.role}
    restriction = restriction_of(user)
    if restriction:
        claims["restrict"] = restriction
    access = create_access_token(str(user.id), additional_claims=claims)
    return TokenPair(access_token=access, refresh_token=refresh, user=user, restriction=restriction)


def start_session(user: User, *, user_agent: str | None = None, ip_address: str | None = None) -> TokenPair:
    now = clock.now()
    family = TokenFamily(
        id=str(uuid.uuid4()),
        user_id=user.id,
        user_agent=(user_agent or "")[:200] or None,
        ip_address=(ip_address or "")[:45] or None,
        last_seen_at=now,
    )
    db.session.add(family)
    db.session.flush()  # the family row first: refresh tokens reference it and no relationship orders them
    user.last_login_at = now
    return _issue(user, family.id)


def login_staff(
    *, username: str, password: str, user_agent: str | None = None, ip_address: str | None = None
) -> TokenPair | SecondFactorChallenge:
    """Password sign-in for staff; an account with a second factor gets a challenge instead of tokens."""
    with write_transaction() as session:
        user = session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active or user.role == "villager":
            raise BadCredentials()
        if user.totp_enabled_at is not None:
            return second_factor_challenge(user)
        return start_session(user, user_agent=user_agent, ip_address=ip_address)


def _openid_for(code: str) -> tuple[str, str | None]:
    if current_settings().demo_mode and code.startswith("demo:") and len(code) > len("demo:"):
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
        if is_idle(family, user.role):
            # Staff idle expiry (等保): a console nobody used for STAFF_IDLE_MINUTES signs in again.
            family.revoked_at, family.revoked_reason = clock.now(), "idle"
            session.commit()
            raise SignInIdle()
        token.used_at = family.last_seen_at = clock.now()
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
