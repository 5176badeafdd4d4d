"""Speak and photo claims: taking them in (own or assisted), duplicate photos, and WeChat content security.

Calls to WeChat happen before the write transaction, so a slow WeChat never holds the database lock; when
WeChat is down the claim is still accepted and marked "unchecked" for the reviewer.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from backend import clock
from backend.adapters.clients import get_wechat_client
from backend.adapters.media import hash_distance
from backend.adapters.storage import get_storage
from backend.adapters.wechat import WeChatError, parse_media_check_callback, verify_callback_signature
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.extensions import db
from backend.models import User, Villager
from backend.models.submissions import MediaCheck, Submission, Upload
from backend.services.access import STAFF_ROLES, Caller, NotBound, require_role, scope
from backend.services.audit import record_audit, snapshot
from backend.services.earning.uploads import MEDIA_URL_SECONDS, store_upload
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.paging import paginate
from backend.services.rulesets import compiled_rule_set, get_rule_set_in_force
from backend.settings import current_settings

log = logging.getLogger(__name__)

MAX_PHOTOS = 9  # what wx.chooseImage lets a villager pick at once
TEXT_HELD = "文字内容经微信内容安全检测需人工复核。"
PHOTO_HELD = "照片经微信内容安全检测需人工复核。"
_SEVERITY = {"passed": 0, "not_required": 0, "checking": 1, "unchecked": 2, "review": 3, "risky": 4}


class FileAlreadyUsed(Conflict):
    status, message = "file_already_used", "文件已用于另一份申报。"


class CallbackSignatureInvalid(Forbidden):
    status, message = "signature_invalid", "回调签名无效。"


@dataclass
class _Screening:
    """What WeChat said before the claim was stored."""

    security_status: str = "not_required"
    hold_reason: str | None = None
    traces: dict[int, str] = field(default_factory=dict)  # upload id -> WeChat trace id

    def worsen(self, status: str, reason: str | None = None) -> None:
        if _SEVERITY[status] > _SEVERITY[self.security_status]:
            self.security_status = status
            if reason:
                self.hold_reason = reason


def resolve_activity_type(*, village_id: int, activity_type: str | None, activity_type_id: str | None) -> str:
    """ "speak" or "photo", given directly or as an item code of GET /activity-types."""
    if activity_type_id is not None:
        rule_set = get_rule_set_in_force(db.session, village_id=village_id, kind="points", on=clock.today())
        rule = compiled_rule_set(rule_set).rules_by_code.get(activity_type_id) if rule_set else None
        if rule is None or not rule.moves_points:
            raise InvalidInput(errors={"activity_type_id": ["本村没有这个活动类型。"]})
        activity_type = rule.activity_type
    if activity_type not in ("speak", "photo"):
        raise InvalidInput(errors={"activity_type": ["只能申报说一说（speak）或拍一拍（photo）。"]})
    return activity_type


def create_submission(
    *,
    caller: Caller,
    activity_type: str | None = None,
    activity_type_id: str | None = None,
    text: str | None = None,
    file_ids: list[int] | None = None,
    photo: bytes | None = None,
    claim: Claim | None = None,
) -> Submission:
    """A villager's own speak or photo claim, pending review (held if WeChat finds the content risky)."""
    require_role(caller, "villager")
    if caller.villager_id is None:
        raise NotBound()
    file_ids = list(file_ids or [])
    if photo is not None:
        file_ids.append(store_upload(caller=caller, data=photo).id)
    kind = resolve_activity_type(
        village_id=caller.village_id, activity_type=activity_type, activity_type_id=activity_type_id
    )
    files = _usable_files(caller, file_ids)
    _check_contents(kind, text, files)
    openid = db.session.get(User, caller.user_id).openid
    screening = _screen(openid, text, files) if current_settings().wechat_checks_content and openid else _Screening()
    return _store(
        caller=caller,
        villager_id=caller.villager_id,
        kind=kind,
        text=text,
        file_ids=file_ids,
        screening=screening,
        assisted=False,
        claim=claim,
    )


def create_assisted_submission(
    *,
    caller: Caller,
    villager: Villager,
    activity_type: str | None = None,
    activity_type_id: str | None = None,
    text: str | None = None,
    file_ids: list[int] | None = None,
    claim: Claim | None = None,
) -> Submission:
    """A committee member records a claim for a villager without a smartphone; someone else must review it."""
    require_role(caller, "committee")
    kind = resolve_activity_type(
        village_id=villager.village_id, activity_type=activity_type, activity_type_id=activity_type_id
    )
    files = _usable_files(caller, list(file_ids or []))
    _check_contents(kind, text, files)
    return _store(
        caller=caller,
        villager_id=villager.id,
        kind=kind,
        text=text,
        file_ids=[f.id for f in files],
        screening=_Screening(),
        assisted=True,
        claim=claim,
    )


def _usable_files(caller: Caller, file_ids: list[int], *, lock: bool = False) -> list[Upload]:
    if len(set(file_ids)) != len(file_ids):
        raise InvalidInput(errors={"file_ids": ["同一文件不能重复提交。"]})
    if not file_ids:
        return []
    stmt = select(Upload).where(Upload.id.in_(file_ids), Upload.owner_id == caller.user_id)
    if lock:
        stmt = stmt.order_by(Upload.id).with_for_update().execution_options(populate_existing=True)
    found = {u.id: u for u in db.session.execute(stmt).scalars()}
    if len(found) != len(file_ids):
        raise InvalidInput(errors={"file_ids": ["文件不存在或不是你上传的。"]})
    if any(u.submission_id is not None for u in found.values()):
        raise FileAlreadyUsed()
    return [found[i] for i in file_ids]


def _check_contents(kind: str, text: str | None, files: list[Upload]) -> None:
    photos = [f for f in files if f.kind == "photo"]
    voices = [f for f in files if f.kind == "voice"]
    if kind == "photo":
        if not photos:
            raise InvalidInput(errors={"file_ids": ["拍一拍至少需要一张照片。"]})
        if voices:
            raise InvalidInput(errors={"file_ids": ["拍一拍只能附照片。"]})
        if len(photos) > MAX_PHOTOS:
            raise InvalidInput(errors={"file_ids": ["最多附 9 张照片。"]})
    else:
        if photos or len(voices) > 1:
            raise InvalidInput(errors={"file_ids": ["说一说只能附一段语音。"]})
        if not (text and text.strip()) and not voices:
            raise InvalidInput(errors={"text": ["请填写内容或附一段语音。"]})


def _screen(openid: str, text: str | None, files: list[Upload]) -> _Screening:
    """Ask WeChat about the text (synchronously) and the photos (asynchronously, answered by callback)."""
    screening = _Screening(security_status="passed")
    client = get_wechat_client()
    storage = get_storage()
    try:
        if text and text.strip():
            verdict = client.msg_sec_check(openid, text)
            if verdict["suggest"] != "pass":
                screening.worsen(verdict["suggest"], TEXT_HELD)
        for upload in files:
            if upload.kind == "photo":
                url = storage.url(upload.storage_key, expires_in=MEDIA_URL_SECONDS)
                screening.traces[upload.id] = client.media_check_async(openid, url, media_type=2)
    except WeChatError as error:
        log.warning("content security unavailable", extra={"errcode": error.errcode})
        screening.worsen("unchecked", None)
    if screening.traces:
        screening.worsen("checking")
    return screening


def _store(
    *,
    caller: Caller,
    villager_id: int,
    kind: str,
    text: str | None,
    file_ids: list[int],
    screening: _Screening,
    assisted: bool,
    claim: Claim | None,
) -> Submission:
    with claimed_transaction(claim) as session:
        villager = session.get(Villager, villager_id)
        files = _usable_files(caller, file_ids, lock=True)  # again, locked: a file goes to one claim only
        held = screening.security_status in ("review", "risky")
        submission = Submission(
            village_id=villager.village_id,
            villager_id=villager.id,
            activity_type=kind,
            text=(text or "").strip() or None,
            status="held" if held else "pending",
            entered_by_id=caller.user_id,
            assisted=assisted,
            security_status=screening.security_status,
            hold_reason=screening.hold_reason if held else None,
        )
        session.add(submission)
        session.flush()
        for upload in files:
            upload.submission_id = submission.id
        _flag_duplicates(session, submission, files)
        for upload_id, trace_id in screening.traces.items():
            session.add(
                MediaCheck(
                    village_id=submission.village_id,
                    trace_id=trace_id,
                    submission_id=submission.id,
                    upload_id=upload_id,
                )
            )
        if assisted:
            record_audit(
                session,
                actor=caller,
                action="submission.assisted_create",
                entity=submission,
                after=snapshot(submission),
            )
        return submission


def _flag_duplicates(session, submission: Submission, files: list[Upload]) -> None:
    """Point the reviewer at the earlier submission whose photo is equal (sha256) or nearly equal (phash)."""
    photos = [f for f in files if f.kind == "photo"]
    if not photos:
        return
    earlier = select(Upload.submission_id, Upload.sha256, Upload.phash).where(
        Upload.village_id == submission.village_id,
        Upload.kind == "photo",
        Upload.submission_id.is_not(None),
        Upload.submission_id < submission.id,
    )
    threshold = current_settings().photo_duplicate_distance
    best: tuple[int, int] | None = None  # (distance, submission id)
    for other_id, sha, phash in session.execute(earlier):
        for photo in photos:
            if sha == photo.sha256:
                distance = 0
            elif phash is not None and photo.phash is not None:
                distance = hash_distance(phash, photo.phash)
            else:
                continue
            if distance <= threshold and (best is None or (distance, other_id) < best):
                best = (distance, other_id)
    if best is not None:
        submission.flagged = True
        submission.duplicate_distance, submission.duplicate_of_id = best


def check_callback_signature(*, signature: str, timestamp: str, nonce: str) -> None:
    """Refuse (403) a push that WeChat did not sign with our callback token."""
    token = current_settings().wechat_callback_token
    if not token or not verify_callback_signature(token, signature, timestamp, nonce):
        raise CallbackSignatureInvalid()


def record_media_verdict(*, payload: dict, signature: str, timestamp: str, nonce: str) -> None:
    """Apply WeChat's media check push: a review/risky verdict holds a claim still waiting for review."""
    check_callback_signature(signature=signature, timestamp=timestamp, nonce=nonce)
    try:
        result = parse_media_check_callback(payload)
        suggest, label = result["suggest"], result["label"]
    except WeChatError:
        # WeChat could not check the file itself: a person must look at it.
        suggest, label = "unchecked", None
    except ValueError as error:
        raise InvalidInput("回调内容无效。") from error
    with write_transaction() as session:
        check = session.execute(
            select(MediaCheck).where(MediaCheck.trace_id == str(payload["trace_id"])).with_for_update()
        ).scalar_one_or_none()
        if check is None:
            raise NotFound("未知的检测任务。")
        if check.answered_at is not None:
            return
        check.suggest, check.label, check.answered_at = suggest, label, clock.now()
        submission = session.execute(
            select(Submission).where(Submission.id == check.submission_id).with_for_update()
        ).scalar_one()
        before = snapshot(submission)
        _apply_verdict(session, submission, suggest)
        record_audit(
            session,
            actor=None,
            action="submission.media_check",
            entity=submission,
            before=before,
            after=snapshot(submission),
        )


def _apply_verdict(session, submission: Submission, suggest: str) -> None:
    if suggest in ("review", "risky"):
        if _SEVERITY[suggest] > _SEVERITY[submission.security_status]:
            submission.security_status = suggest
        if submission.status == "pending":
            submission.status, submission.hold_reason = "held", PHOTO_HELD
        return
    if suggest == "unchecked":
        if _SEVERITY["unchecked"] > _SEVERITY[submission.security_status]:
            submission.security_status = "unchecked"
        return
    waiting = session.execute(
        select(MediaCheck.id).where(MediaCheck.submission_id == submission.id, MediaCheck.answered_at.is_(None))
    ).first()
    if waiting is None and submission.security_status == "checking":
        submission.security_status = "passed"


def get_submission(*, caller: Caller, submission_id: int) -> Submission:
    """One claim, for its villager or the staff of its village; 404 for anyone else."""
    stmt = scope(select(Submission).where(Submission.id == submission_id), Submission, caller)
    submission = db.session.execute(stmt).scalar_one_or_none()
    if submission is None or (caller.role not in STAFF_ROLES and submission.villager_id != caller.villager_id):
        raise NotFound("申报不存在。")
    return submission


def list_my_submissions(*, caller: Caller, status: str | None, limit: int, cursor: str | None) -> dict:
    """The signed-in villager's claims, newest first."""
    require_role(caller, "villager")
    if caller.villager_id is None:
        return {"items": [], "next_cursor": None}
    stmt = select(Submission).where(Submission.villager_id == caller.villager_id)
    if status:
        stmt = stmt.where(Submission.status == status)
    return paginate(stmt, Submission.id, limit=limit, cursor=cursor)
