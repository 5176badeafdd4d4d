"""POST /api/v1/uploads: photos decoded and cleaned, voice files by magic bytes, sizes, and who sees a file."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, update

from backend import clock
from backend.extensions import db
from backend.models.submissions import Upload
from tests.conftest import body, use_settings
from tests.factories import auth, make_staff, make_village, make_villager, make_villager_user
from tests.factories.submissions import make_photo

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def stored_image(app, key: str) -> Image.Image:
    return Image.open(Path(app.config["UPLOAD_FOLDER"]) / key)


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_photo_upload_returns_file_id_and_a_thumbnail(app, v, fmt, content_type):
    response = v.upload(make_photo(fmt=fmt, size=(1200, 900)))
    assert response.status_code == 201, response.get_data(as_text=True)
    data = body(response)
    assert data["kind"] == "photo"
    assert data["content_type"] == content_type
    assert (data["width"], data["height"]) == (1200, 900)
    upload = app.extensions["sqlalchemy"].session.get(Upload, data["file_id"])
    assert upload.phash is not None
    assert len(upload.sha256) == 64
    assert max(stored_image(app, upload.thumbnail_key).size) == 320


def test_gps_location_is_removed_and_orientation_applied_before_storing(app, v):
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was turned: the picture must be rotated 90° to stand upright
    exif[0x010F] = "VillagePhone"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (30.0, 15.0, 12.5), "E", (120.0, 10.0, 3.2)
    original = make_photo(size=(800, 600), exif=exif.tobytes())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test photo really carries GPS

    data = body(v.upload(original))

    upload = app.extensions["sqlalchemy"].session.get(Upload, data["file_id"])
    stored = stored_image(app, upload.storage_key)
    assert stored.size == (600, 800)
    stored_exif = stored.getexif()
    assert not stored_exif.get_ifd(GPS_IFD)
    assert len(stored_exif) == 0
    assert b"VillagePhone" not in (Path(app.config["UPLOAD_FOLDER"]) / upload.storage_key).read_bytes()


def test_text_file_renamed_to_jpg_is_refused(v):
    response = v.upload("这不是照片，只是一段文字。".encode(), name="photo.jpg")
    assert response.status_code == 422
    assert body(response)["status"] == "unsupported_file"
    assert body(response)["errors"] == {"file": ["无法识别的文件类型。"]}


def test_photo_that_does_not_decode_is_refused(v):
    broken = make_photo()[:400]  # a JPEG cut off after its header
    response = v.upload(broken)
    assert response.status_code == 422
    assert body(response)["errors"] == {"file": ["文件不是可识别的照片，或已损坏。"]}


def test_gif_is_refused_as_photo_format(v):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    response = v.upload(out.getvalue(), name="a.gif")
    assert response.status_code == 422


def test_photo_with_too_many_pixels_is_refused(app, v, monkeypatch):
    use_settings(monkeypatch, app, max_photo_pixels=1000)
    response = v.upload(make_photo(size=(100, 100)))
    assert response.status_code == 422
    assert body(response)["errors"] == {"file": ["照片像素过多，请缩小后再上传。"]}


def test_upload_larger_than_the_limit_is_413(app, v, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    response = v.upload(make_photo(size=(2000, 2000)) + b"\0" * 60_000)
    assert response.status_code == 413
    assert body(response) == {
        "code": 413,
        "status": "payload_too_large",
        "message": "上传内容太大。",
        "errors": {},
    }


def test_empty_file_is_refused(v):
    response = v.upload(b"")
    assert response.status_code == 422
    assert body(response)["errors"] == {"file": ["文件是空的。"]}


def test_request_without_file_field_is_refused(v):
    response = v.client.post("/api/v1/uploads", data={}, headers=v.headers, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "file" in body(response)["errors"]


VOICES = {
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64,
    "mp3-frame": b"\xff\xfb\x90\x64" + b"\x00" * 64,
    "aac": b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 64,
    "m4a": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 64,
    "silk": b"\x02#!SILK_V3" + b"\x00" * 64,
    "amr": b"#!AMR\n" + b"\x00" * 64,
}


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("mp3", "audio/mpeg"),
        ("mp3-frame", "audio/mpeg"),
        ("aac", "audio/aac"),
        ("m4a", "audio/mp4"),
        ("silk", "audio/silk"),
        ("amr", "audio/amr"),
    ],
)
def test_voice_files_are_recognised_by_their_magic_bytes(v, name, content_type):
    response = v.upload(VOICES[name], name="voice.bin")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert body(response)["kind"] == "voice"
    assert body(response)["content_type"] == content_type
    assert body(response)["thumbnail_url"] is None


def test_voice_file_over_its_limit_is_413(app, v, monkeypatch):
    use_settings(monkeypatch, app, max_voice_mb=1)
    response = v.upload(b"#!AMR\n" + b"\x00" * (1024 * 1024 + 1), name="voice.amr")
    assert response.status_code == 413
    assert body(response)["status"] == "payload_too_large"
    assert body(response)["message"] == "文件太大（最多 1 MB）。"


def test_unbound_villager_cannot_upload(client):
    user = make_villager_user()
    response = client.post(
        "/api/v1/uploads",
        data={"file": (io.BytesIO(make_photo()), "a.jpg")},
        headers=auth(user),
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert body(response)["status"] == "not_a_village_member"


def test_only_the_uploader_and_the_village_committee_see_a_file(v):
    file_id = v.file_id(make_photo())
    neighbour = make_villager_user(make_villager(v.village, name="王五"))
    outsider = make_staff("committee", village=make_village())

    assert v.client.get(f"/api/v1/uploads/{file_id}", headers=v.headers).status_code == 200
    assert v.client.get(f"/api/v1/uploads/{file_id}", headers=auth(v.cw1)).status_code == 200
    assert v.client.get(f"/api/v1/uploads/{file_id}", headers=auth(neighbour)).status_code == 404
    assert v.client.get(f"/api/v1/uploads/{file_id}", headers=auth(outsider)).status_code == 404


def test_signed_media_link_serves_the_photo_until_it_expires(v, monkeypatch):
    original = make_photo()
    data = body(v.upload(original))
    url = data["url"]

    served = v.client.get(url)
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(served.get_data())).size == (640, 480)
    assert v.client.get(url.replace("signature=", "signature=0")).status_code == 404

    later = clock.now() + timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    expired = v.client.get(url)
    assert expired.status_code == 404
    assert body(expired)["message"] == "链接无效或已过期。"


def test_uploads_no_submission_claimed_within_a_week_are_purged_with_their_files(app, v):
    abandoned, fresh = v.file_id(make_photo(1)), v.file_id(make_photo(2))
    claimed = v.submit_photo(make_photo(3))["files"][0]["file_id"]
    db.session.execute(
        update(Upload).where(Upload.id.in_([abandoned, claimed])).values(created_at=clock.now() - timedelta(days=8))
    )
    db.session.commit()
    folder = Path(app.config["UPLOAD_FOLDER"])
    abandoned_files = [
        folder / key
        for key in db.session.execute(
            select(Upload.storage_key, Upload.thumbnail_key).where(Upload.id == abandoned)
        ).one()
        if key
    ]
    assert abandoned_files and all(path.exists() for path in abandoned_files)

    result = app.test_cli_runner().invoke(args=["uploads", "purge"])

    assert result.output == "purged 1 unclaimed uploads\n"
    assert not any(path.exists() for path in abandoned_files)
    assert v.client.get(f"/api/v1/uploads/{abandoned}", headers=v.headers).status_code == 404
    assert v.client.get(f"/api/v1/uploads/{fresh}", headers=v.headers).status_code == 200
    assert v.client.get(f"/api/v1/uploads/{claimed}", headers=v.headers).status_code == 200
    assert app.test_cli_runner().invoke(args=["uploads", "purge", "--days", "1"]).output == (
        "purged 0 unclaimed uploads\n"
    )
