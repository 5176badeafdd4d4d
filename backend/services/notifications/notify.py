"""Notifying a villager: an in-app notification, plus a WeChat subscribe message when they granted one.

`notify` runs inside the transaction of the change it reports, so the notification, the use of the grant and
the outbox message commit with that change or not at all. One grant carries one message, as WeChat counts them.
"""

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend import clock
from backend.database import write_transaction
from backend.errors import NotFound
from backend.extensions import db
from backend.models import Notification, SubscriptionGrant, User
from backend.services.access import Caller, require_role
from backend.services.outbox import enqueue_message
from backend.services.paging import paginate
from backend.settings import current_settings

# What a villager can be told about; each kind may have a subscribe-message template (WECHAT_SUBSCRIBE_TEMPLATES).
KINDS: dict[str, str] = {
    "claim_decided": "申报审核结果",
    "points_expiring": "积分即将到期",
    "notice_published": "公示通知",
    "decision": "异议或修复处理结果",
    "badge_earned": "获得勋章",
    "board_published": "积分公示发布",
}
# The keywords every template we use has: 事项 (thing1), 内容 (thing2), 时间 (time3); WeChat caps `thing` at 20.
THING_LENGTH = 20


@dataclass(frozen=True, slots=True)
class Notice:
    """What to tell a villager."""

    villager_id: int
    village_id: int
    kind: str
    title: str
    body: str
    entity_type: str | None = None
    entity_id: int | None = None
    dedupe_key: str | None = None


def templates() -> dict[str, str]:
    """Notification kind -> subscribe-message template id, from the WECHAT_SUBSCRIBE_TEMPLATES setting (JSON)."""
    return current_settings().wechat_subscribe_templates


def notify(session: Session, notice: Notice) -> Notification | None:
    """Record the notification in the caller's transaction; None when its dedupe key was already used."""
    values = {
        "village_id": notice.village_id,
        "villager_id": notice.villager_id,
        "kind": notice.kind,
        "title": notice.title[:64],
        "body": notice.body[:300],
        "entity_type": notice.entity_type,
        "entity_id": notice.entity_id,
        "dedupe_key": notice.dedupe_key,
        "created_at": clock.now(),
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Notification).values(**values).returning(Notification.id)
    if notice.dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    notification_id = session.execute(stmt).scalar_one_or_none()
    if notification_id is None:
        return None
    notification = session.get(Notification, notification_id)
    _send_if_granted(session, notification)
    return notification


def _send_if_granted(session: Session, notification: Notification) -> None:
    template_id = templates().get(notification.kind)
    if not template_id:
        return
    user = session.execute(
        select(User.id, User.openid).where(User.villager_id == notification.villager_id, User.is_active.is_(True))
    ).first()
    if user is None or not user.openid:
        return
    grant_id = _take_grant(session, user_id=user.id, template_id=template_id)
    if grant_id is None:
        return
    moment = clock.to_local(notification.created_at).strftime("%Y-%m-%d %H:%M")
    message = enqueue_message(
        session,
        kind="wechat.subscribe",
        village_id=notification.village_id,
        dedupe_key=f"notification:{notification.id}",
        payload={
            "openid": user.openid,
            "template_id": template_id,
            "page": f"pages/notifications/index?id={notification.id}",
            "data": {
                "thing1": notification.title[:THING_LENGTH],
                "thing2": notification.body[:THING_LENGTH],
                "time3": moment,
            },
            "grant_id": grant_id,
            "notification_id": notification.id,
        },
    )
    notification.outbox_message_id = message.id
    session.execute(
        update(SubscriptionGrant).where(SubscriptionGrant.id == grant_id).values(outbox_message_id=message.id)
    )


def _take_grant(session: Session, *, user_id: int, template_id: str) -> int | None:
    """Use the oldest unused grant; the guarded UPDATE makes two racing notifications take two different grants."""
    for _attempt in range(3):
        grant_id = session.execute(
            select(SubscriptionGrant.id)
            .where(
                SubscriptionGrant.user_id == user_id,
                SubscriptionGrant.template_id == template_id,
                SubscriptionGrant.used_at.is_(None),
            )
            .order_by(SubscriptionGrant.id)
            .limit(1)
        ).scalar()
        if grant_id is None:
            return None
        taken = session.execute(
            update(SubscriptionGrant)
            .where(SubscriptionGrant.id == grant_id, SubscriptionGrant.used_at.is_(None))
            .values(used_at=clock.now())
        )
        if taken.rowcount == 1:
            return grant_id
    return None


# --- the villager's list ------------------------------------------------------------------------------------


def list_my_notifications(*, caller: Caller, unread: bool | None, limit: int, cursor: str | None) -> dict:
    """The villager's notifications, newest first, with the unread count."""
    require_role(caller, "villager")
    if caller.villager_id is None:
        return {"items": [], "next_cursor": None, "unread": 0}
    stmt = select(Notification).where(Notification.villager_id == caller.villager_id)
    if unread is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    page = paginate(stmt, Notification.id, limit=limit, cursor=cursor)
    return {**page, "unread": unread_count(caller.villager_id)}


def unread_count(villager_id: int) -> int:
    return db.session.execute(
        select(func.count(Notification.id)).where(
            Notification.villager_id == villager_id, Notification.read_at.is_(None)
        )
    ).scalar_one()


def mark_read(*, caller: Caller, notification_id: int) -> Notification:
    """Mark one of the villager's notifications read (again is fine); 404 for anyone else's."""
    require_role(caller, "villager")
    with write_transaction() as session:
        notification = session.execute(
            select(Notification).where(
                Notification.id == notification_id, Notification.villager_id == (caller.villager_id or -1)
            )
        ).scalar_one_or_none()
        if notification is None:
            raise NotFound()
        if notification.read_at is None:
            notification.read_at = clock.now()
        return notification
