"""The second factor of town, city and platform admins: TOTP (RFC 6238, pyotp) and one-time recovery codes.

Setting up stores an encrypted secret; confirming it with a first code turns it on and hands out ten recovery
codes, shown once and kept as hashes. Each code is good once: the last accepted 30-second step is remembered.
"""

import hmac
import secrets
from datetime import UTC, timedelta

import pyotp
from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, Unauthorized
from backend.models import RecoveryCode, User
from backend.services.access import Caller
from backend.services.audit import record_audit
from backend.services.auth.sessions import (
    TokenPair,
    hash_password,
    read_second_factor_challenge,
    start_session,
    verify_password,
)
from backend.services.people import get_keyring
from backend.settings import current_settings

ISSUER = "村级积分信用"
RECOVERY_CODES = 10


class SecondFactorWrong(Unauthorized):
    status, message = "second_factor_invalid", "动态验证码或恢复码错误，或已使用过。"


class SecondFactorAlreadyOn(Conflict):
    status, message = "second_factor_enabled", "已启用双因素认证；如需更换设备请先用恢复码登录后重新设置。"


class SecondFactorNotSetUp(Conflict):
    status, message = "second_factor_not_set_up", "请先获取密钥并在验证器中添加。"


def second_factor_required(role: str) -> bool:
    """Whether this role must sign in with a second factor (TOTP_REQUIRED_ROLES)."""
    return role in current_settings().totp_required_roles


def begin_totp_setup(*, caller: Caller) -> dict:
    """A new secret for my authenticator app (otpauth URI for a QR code); it counts once confirmed."""
    with write_transaction() as session:
        user = session.get(User, caller.user_id)
        if user.totp_enabled_at is not None:
            raise SecondFactorAlreadyOn()
        secret = pyotp.random_base32()
        user.totp_secret_cipher = get_keyring().encrypt(secret)
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.username or str(user.id), issuer_name=ISSUER)
        return {"secret": secret, "otpauth_uri": uri}


def confirm_totp_setup(*, caller: Caller, code: str) -> list[str]:
    """Turn the second factor on with a first good code; returns the recovery codes (shown this once)."""
    with write_transaction() as session:
        user = session.execute(select(User).where(User.id == caller.user_id).with_for_update()).scalar_one()
        if user.totp_enabled_at is not None:
            raise SecondFactorAlreadyOn()
        if user.totp_secret_cipher is None:
            raise SecondFactorNotSetUp()
        if not _accept_code(user, code):
            raise SecondFactorWrong()
        user.totp_enabled_at = clock.now()
        codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
        session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_password(code)) for code in codes)
        record_audit(session, actor=caller, action="user.totp_enable", entity=user)
        return codes


def check_second_factor(session, user: User, *, code: str | None, recovery_code: str | None) -> str:
    """Inside the caller's transaction (user row locked): 'totp' or 'recovery' when accepted, else raises."""
    if code and _accept_code(user, code):
        return "totp"
    if recovery_code:
        normalised = recovery_code.strip().lower()
        unused = session.execute(
            select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).scalars()
        for stored in unused:
            if verify_password(stored.code_hash, normalised):
                stored.used_at = clock.now()
                return "recovery"
    raise SecondFactorWrong()


def _accept_code(user: User, code: str) -> bool:
    """A code of the step before, now or after (clock drift), and later than the last one accepted."""
    totp = pyotp.TOTP(get_keyring().decrypt(user.totp_secret_cipher))
    now = clock.now().replace(tzinfo=UTC)
    for offset in (-1, 0, 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        step = totp.timecode(moment)
        if hmac.compare_digest(totp.at(moment), (code or "").strip()) and step > (user.totp_last_step or 0):
            user.totp_last_step = step
            return True
    return False


def _recovery_code() -> str:
    raw = secrets.token_hex(5)  # 40 bits, hashed with argon2 like a password
    return f"{raw[:5]}-{raw[5:]}"


def complete_second_factor_sign_in(
    *, mfa_token: str, code: str | None, recovery_code: str | None, user_agent: str | None, ip_address: str | None
) -> TokenPair:
    """The second step of a staff sign-in: the challenge from the password step and a code (or recovery code)."""
    with write_transaction() as session:
        user = read_second_factor_challenge(session, mfa_token)
        method = check_second_factor(session, user, code=code, recovery_code=recovery_code)
        record_audit(
            session, actor=Caller.of(user), action="user.sign_in", entity=user, after={"second_factor": method}
        )
        return start_session(user, user_agent=user_agent, ip_address=ip_address)
