"""A person's own sign-ins (one per login, its refresh tokens a family): list them, end one or all of them.

Staff sign-ins also end by themselves after STAFF_IDLE_MINUTES without a refresh (the console refreshes while in
use), so a console left open in a village office does not stay signed in.
"""

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend import clock
from backend.database import write_transaction
from backend.errors import NotFound
from backend.extensions import db
from backend.models import RefreshToken, TokenFamily
from backend.services.access import Caller
from backend.services.audit import Subject, record_audit
from backend.settings import current_settings


def idle_limit(role: str) -> timedelta | None:
    """How long a sign-in of this role may go without a refresh; None for villagers (the mini-program)."""
    return None if role == "villager" else timedelta(minutes=current_settings().staff_idle_minutes)


def is_idle(family: TokenFamily, role: str) -> bool:
    limit = idle_limit(role)
    seen = family.last_seen_at or family.created_at
    return limit is not None and clock.now() - seen > limit


def list_my_sign_ins(*, caller: Caller, current_family: str | None) -> list[dict]:
    """My sign-ins that can still be used: device, address, when started and last used; the current one marked."""
    now = clock.now()
    alive = (
        select(RefreshToken.family_id)
        .where(RefreshToken.expires_at > now, RefreshToken.used_at.is_(None))
        .group_by(RefreshToken.family_id)
    )
    families = db.session.execute(
        select(TokenFamily)
        .where(TokenFamily.user_id == caller.user_id, TokenFamily.revoked_at.is_(None), TokenFamily.id.in_(alive))
        .order_by(func.coalesce(TokenFamily.last_seen_at, TokenFamily.created_at).desc())
    ).scalars()
    return [
        {"sign_in": family, "current": family.id == current_family}
        for family in families
        if not is_idle(family, caller.role)
    ]


def revoke_my_sign_in(*, caller: Caller, sign_in_id: str) -> None:
    """End one of my sign-ins (its refresh tokens stop working; its access token within minutes)."""
    with write_transaction() as session:
        family = session.get(TokenFamily, sign_in_id)
        if family is None or family.user_id != caller.user_id:
            raise NotFound()
        if family.revoked_at is None:
            family.revoked_at, family.revoked_reason = clock.now(), "revoked_by_owner"
            record_audit(
                session,
                actor=caller,
                action="sign_in.revoke",
                entity=Subject("token_families", village_id=caller.village_id),
                after={"sign_in": family.id},
            )


def revoke_all_sign_ins(session: Session, user_id: int, *, reason: str) -> None:
    """Inside the caller's transaction: end every sign-in of a user (after a password change, say)."""
    session.execute(
        update(TokenFamily)
        .where(TokenFamily.user_id == user_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
    )
