"""Linking a WeChat user to their roster entry, and the committee's binding codes."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from backend.extensions import db
from backend.models import BindingCode, User, Village, Villager
from backend.services.access import STAFF_ROLES, Caller, require_role
from backend.services.audit import record_audit
from backend.services.people import reveal
from backend.settings import current_settings

BINDING_CODE_DAYS = 7


class BindingMismatch(InvalidInput):
    status, message = "binding_mismatch", "姓名或身份证后六位与花名册不符，还可尝试 %(left)s 次。"


class AlreadyBound(Conflict):
    status, message = "already_bound", "您的微信已绑定村民身份。"


class VillagerTaken(Conflict):
    status, message = "villager_already_bound", "该村民已绑定其他微信账号，如需更换请联系村委会。"


class BindingLocked(TooManyRequests):
    status, message = "binding_locked", "尝试次数过多，请在 %(until)s 之后再试，或请村委会出具绑定码。"


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _load_user(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user.villager_id is not None:
        raise AlreadyBound()
    if user.binding_locked_until and user.binding_locked_until > clock.now():
        raise BindingLocked(until=clock.to_local(user.binding_locked_until).strftime("%H:%M"))
    return user


def _fail(session, user: User) -> None:
    """Count a failed attempt and commit it, so that the rollback of the refusal does not erase it."""
    limit = current_settings().binding_max_failures
    user.binding_failures += 1
    left = limit - user.binding_failures
    if left <= 0:
        user.binding_failures = 0
        user.binding_locked_until = clock.now() + timedelta(minutes=current_settings().binding_lock_minutes)
    session.commit()
    if left <= 0:
        raise BindingLocked(until=clock.to_local(user.binding_locked_until).strftime("%H:%M"))
    raise BindingMismatch(left=left)


def _link(session, user: User, villager: Villager) -> Villager:
    if villager.user is not None:
        raise VillagerTaken()
    user.villager_id = villager.id
    user.village_id = villager.village_id
    user.town_id = villager.village.town_id
    user.binding_failures, user.binding_locked_until = 0, None
    return villager


def bind_by_identity(*, user_id: int, village_code: str, name: str, id_last6: str) -> Villager:
    """Bind with village code, name and the last six characters of the ID number."""
    with write_transaction() as session:
        user = _load_user(session, user_id)
        village = session.execute(select(Village).where(Village.code == village_code.strip().upper())).scalar()
        candidates = []
        if village is not None:
            candidates = (
                session.execute(
                    select(Villager).where(
                        Villager.village_id == village.id,
                        Villager.name == "".join(name.split()),
                        Villager.status == "active",
                    )
                )
                .scalars()
                .all()
            )
        wanted = id_last6.strip().upper().encode()
        match = next(
            (v for v in candidates if hmac.compare_digest(reveal(v.id_number_cipher)[-6:].encode(), wanted)),
            None,
        )
        if match is None:
            _fail(session, user)
        return _link(session, user, match)


def bind_by_code(*, user_id: int, binding_code: str) -> Villager:
    """Bind with a one-time code the committee issued."""
    with write_transaction() as session:
        user = _load_user(session, user_id)
        code = session.execute(
            select(BindingCode).where(BindingCode.code_hash == _code_hash(binding_code))
        ).scalar_one_or_none()
        if code is None or code.used_at is not None or code.expires_at <= clock.now():
            _fail(session, user)
        villager = session.get(Villager, code.villager_id)
        code.used_at = clock.now()
        return _link(session, user, villager)


def issue_binding_code(*, caller: Caller, villager: Villager) -> tuple[str, datetime]:
    """A fresh ten-digit code for this villager, valid for a week; earlier unused codes stop working."""
    require_role(caller, *STAFF_ROLES)
    code = f"{secrets.randbelow(10**10):010d}"
    with write_transaction() as session:
        for old in session.execute(
            select(BindingCode).where(BindingCode.villager_id == villager.id, BindingCode.used_at.is_(None))
        ).scalars():
            old.expires_at = min(old.expires_at, clock.now())
        issued = BindingCode(
            village_id=villager.village_id,
            villager_id=villager.id,
            code_hash=_code_hash(code),
            issued_by_id=caller.user_id,
            expires_at=clock.now() + timedelta(days=BINDING_CODE_DAYS),
        )
        session.add(issued)
        record_audit(
            session,
            actor=caller,
            action="binding_code.issue",
            entity=issued,
            after={"villager_id": villager.id},
        )
        return code, issued.expires_at


def check_binding_code(*, villager: Villager, code: str) -> None:
    """404 unless `code` is a live binding code of this villager (so only its holder can draw it)."""
    found = db.session.execute(
        select(BindingCode).where(BindingCode.code_hash == _code_hash(code), BindingCode.villager_id == villager.id)
    ).scalar_one_or_none()
    if found is None or found.used_at is not None or found.expires_at <= clock.now():
        raise NotFound("绑定码无效或已过期。")


def unbind_villager(*, caller: Caller, villager: Villager) -> None:
    """Release a roster entry from its WeChat account, so that the villager can bind a new phone."""
    require_role(caller, *STAFF_ROLES)
    with write_transaction() as session:
        user = session.execute(select(User).where(User.villager_id == villager.id)).scalar_one_or_none()
        if user is None:
            raise NotFound("该村民尚未绑定微信。")
        if user.id == caller.user_id:
            raise Forbidden()
        before = {"user_id": user.id}
        user.villager_id = None
        user.village_id = None
        user.town_id = None
        record_audit(session, actor=caller, action="villager.unbind", entity=villager, before=before, after=None)
