"""Storing one uploaded photo or voice file for its uploader, and handing it out to those who may see it."""

from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import delete, select

from backend import clock
from backend.adapters.media import MediaRejected, clean_photo, looks_like_photo, sha256_hex, sniff_voice
from backend.adapters.storage import epoch_now, get_storage, media_signature_valid
from backend.database import write_transaction
from backend.errors import Forbidden, InvalidInput, NotFound, TooLarge
from backend.extensions import db
from backend.models.submissions import Upload
from backend.services.access import STAFF_ROLES, Caller, scope
from backend.settings import current_settings

# Long enough for WeChat to fetch a photo it checks asynchronously, short enough that a leaked link dies.
MEDIA_URL_SECONDS = 24 * 3600
_CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "m4a": "audio/mp4",
    "silk": "audio/silk",
    "amr": "audio/amr",
}


class FileTooLarge(TooLarge):
    message = "文件太大（最多 %(max_mb)s MB）。"


class UnsupportedFile(InvalidInput):
    status, message = (
        "unsupported_file",
        "不支持的文件：只接受照片（JPEG、PNG、WebP）或语音（mp3、aac、m4a、silk、amr）。",
    )


class NotAVillageMember(Forbidden):
    status, message = "not_a_village_member", "请先绑定村民身份后再上传。"


def store_upload(*, caller: Caller, data: bytes) -> Upload:
    """Validate, clean and store one file for the caller; photos lose their EXIF (GPS) before storing."""
    if caller.village_id is None or (caller.role == "villager" and caller.villager_id is None):
        raise NotAVillageMember()
    if caller.role not in ("villager", "committee"):
        raise Forbidden()
    if not data:
        raise InvalidInput(errors={"file": ["文件是空的。"]})
    storage = get_storage()
    upload = Upload(village_id=caller.village_id, owner_id=caller.user_id, size=len(data), sha256=sha256_hex(data))
    if looks_like_photo(data):
        try:
            photo = clean_photo(data, max_pixels=current_settings().max_photo_pixels)
        except MediaRejected as exc:
            raise InvalidInput(errors={"file": [exc.message]}) from exc
        upload.kind, upload.content_type = "photo", photo.content_type
        upload.width, upload.height, upload.phash = photo.width, photo.height, photo.phash
        upload.size = len(photo.data)
        upload.storage_key = storage.save(photo.data, photo.suffix)
        upload.thumbnail_key = storage.save(photo.thumbnail, "jpg")
    else:
        voice = sniff_voice(data)
        if voice is None:
            raise UnsupportedFile(errors={"file": ["无法识别的文件类型。"]})
        max_mb = current_settings().max_voice_mb
        if len(data) > max_mb * 1024 * 1024:
            raise FileTooLarge(max_mb=max_mb)
        upload.kind, upload.content_type = "voice", voice.content_type
        upload.storage_key = storage.save(data, voice.suffix)
    with write_transaction() as session:
        session.add(upload)
    return upload


def get_upload(*, caller: Caller, upload_id: int) -> Upload:
    """An upload its owner, or staff of its village, may see; 404 for anyone else."""
    upload = db.session.execute(scope(select(Upload).where(Upload.id == upload_id), Upload, caller)).scalar()
    if upload is None or (caller.role not in STAFF_ROLES and upload.owner_id != caller.user_id):
        raise NotFound("文件不存在。")
    return upload


def media_urls(upload: Upload) -> dict:
    """Time-limited links to the file and its thumbnail."""
    storage = get_storage()
    return {
        "url": storage.url(upload.storage_key, expires_in=MEDIA_URL_SECONDS),
        "thumbnail_url": storage.url(upload.thumbnail_key, expires_in=MEDIA_URL_SECONDS)
        if upload.thumbnail_key
        else None,
    }


def open_media(*, key: str, expires: int, signature: str) -> tuple[BinaryIO, str]:
    """The stored bytes behind a signed link and their content type; 404 for a bad, expired or unknown link."""
    if not media_signature_valid(key, expires, signature, current_settings().secret_key, now=epoch_now()):
        raise NotFound("链接无效或已过期。")
    try:
        stream = get_storage().open(key)
    except FileNotFoundError as exc:
        raise NotFound("链接无效或已过期。") from exc
    return stream, _CONTENT_TYPES[key.rsplit(".", 1)[1]]


def purge_unclaimed_uploads(*, older_than: timedelta) -> int:
    """Delete files uploaded more than `older_than` ago that no submission ever claimed; returns how many went.

    A villager who picks a photo and then gives up leaves it behind; it may show a face or a house, so it is not
    kept. The guarded DELETE spares a file claimed meanwhile; stored files go after the rows are committed.
    """
    cutoff = clock.now() - older_than
    with write_transaction() as session:
        gone = session.execute(
            delete(Upload)
            .where(Upload.submission_id.is_(None), Upload.created_at < cutoff)
            .returning(Upload.storage_key, Upload.thumbnail_key)
        ).all()
    storage = get_storage()
    for storage_key, thumbnail_key in gone:
        for key in filter(None, (storage_key, thumbnail_key)):
            storage.delete(key)
    return len(gone)
