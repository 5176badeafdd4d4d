"""One-time pay codes: 19 random digits shown as a QR code, stored only as their sha256."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, Gone, NotFound
from backend.extensions import db
from backend.models import PayCode, User
from backend.services.access import Caller, NotBound
from backend.services.shops.gates import redemption_block_reason
from backend.settings import current_settings

TOKEN_DIGITS = 19


class RedemptionBlocked(Forbidden):
    status = "redemption_blocked"


class PayCodeUnknown(NotFound):
    status, message = "pay_code_unknown", "付款码无效，请让村民刷新后重新扫码。"


class PayCodeExpired(Gone):
    status, message = "pay_code_expired", "付款码已过期，请让村民刷新后重新扫码。"


class PayCodeUsed(Conflict):
    status, message = "pay_code_used", "付款码已使用，请让村民刷新后重新扫码。"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def new_token() -> str:
    """19 digits, never starting with 0: too long to be mistaken for an 18-character ID number."""
    return str(secrets.randbelow(9 * 10 ** (TOKEN_DIGITS - 1)) + 10 ** (TOKEN_DIGITS - 1))


def issue_pay_code(*, caller: Caller) -> tuple[str, datetime]:
    """A fresh one-time code for the signed-in villager, valid PAY_CODE_SECONDS; refused if they may not redeem."""
    with write_transaction() as session:
        user = session.get(User, caller.user_id)
        if user.villager_id is None:
            raise NotBound("请先绑定村民身份，再使用付款码。")
        reason = redemption_block_reason(session, user.villager_id)
        if reason:
            raise RedemptionBlocked(reason)
        token = new_token()
        code = PayCode(
            village_id=user.village_id,
            villager_id=user.villager_id,
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=clock.now() + timedelta(seconds=current_settings().pay_code_seconds),
        )
        session.add(code)
        return token, code.expires_at


def check_own_pay_code(*, caller: Caller, token: str) -> None:
    """404 unless `token` is a live pay code of the caller (so only its owner can draw it)."""
    code = db.session.execute(select(PayCode).where(PayCode.token_hash == token_hash(token))).scalar_one_or_none()
    if code is None or code.user_id != caller.user_id or code.used_at is not None or code.expires_at <= clock.now():
        raise PayCodeUnknown()


def consume_pay_code(session, token: str) -> PayCode:
    """Mark the code used inside the caller's transaction, or raise 404/410/409.

    The guarded UPDATE is the lock: of concurrent redeemers of one code, exactly one changes the row; the others
    wait for its commit and then find it used (or, if it rolled back, try again on an unused code).
    """
    moment = clock.now()
    digest = token_hash(token)
    code = session.execute(
        update(PayCode)
        .where(PayCode.token_hash == digest, PayCode.used_at.is_(None), PayCode.expires_at > moment)
        .values(used_at=moment)
        .returning(PayCode)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).scalar_one_or_none()
    if code is not None:
        return code
    code = session.execute(
        select(PayCode).where(PayCode.token_hash == digest).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if code is None:
        raise PayCodeUnknown()
    if code.used_at is not None:
        raise PayCodeUsed()
    raise PayCodeExpired()
