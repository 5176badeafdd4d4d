"""POST /api/v1/submissions and GET /api/v1/me/submissions: claims, their files, and duplicate photos."""

import io

from tests.conftest import body, use_settings
from tests.factories import auth, keyed, make_staff, make_villager, make_villager_user
from tests.factories.submissions import altered_copy, make_photo


def test_speak_claim_is_pending_and_listed_for_the_villager(v):
    created = v.submit_speak("建议在村口加装路灯")
    assert created["status"] == "pending"
    assert created["activity_type"] == "speak"
    assert created["points_awarded"] is None

    mine = body(v.client.get("/api/v1/me/submissions", headers=v.headers))
    assert [item["id"] for item in mine["items"]] == [created["id"]]
    assert mine["items"][0]["text"] == "建议在村口加装路灯"


def test_speak_claim_may_carry_one_voice_file(v):
    voice = v.file_id(b"#!AMR\n" + b"\x00" * 64)
    response = v.submit({"activity_type": "speak", "file_ids": [voice]})
    assert response.status_code == 201
    assert [f["kind"] for f in body(response)["files"]] == ["voice"]


def test_photo_claim_by_multipart_with_one_photo(v):
    response = v.client.post(
        "/api/v1/submissions",
        data={"activity_type": "photo", "text": "清理了河边垃圾", "photo": (io.BytesIO(make_photo()), "p.jpg")},
        headers=keyed(v.headers),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    created = body(response)
    assert created["status"] == "pending"
    assert created["text"] == "清理了河边垃圾"
    assert [f["kind"] for f in created["files"]] == ["photo"]
    assert created["files"][0]["thumbnail_url"].startswith("/api/v1/media/")


def test_activity_type_may_be_given_by_its_code_from_the_activity_type_list(v):
    response = v.submit({"activity_type_id": "P01", "file_ids": [v.file_id(make_photo())]})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert body(response)["activity_type"] == "photo"


def test_unknown_activity_type_code_is_refused(v):
    response = v.submit({"activity_type_id": "P02", "text": "投票"})  # P02 is the vote rule: not a claim
    assert response.status_code == 422
    assert body(response)["errors"] == {"activity_type": ["只能申报说一说（speak）或拍一拍（photo）。"]}
    response = v.submit({"activity_type_id": "NOPE", "text": "x"})
    assert body(response)["errors"] == {"activity_type_id": ["本村没有这个活动类型。"]}


def test_photo_claim_without_a_photo_is_refused(v):
    response = v.submit({"activity_type": "photo", "text": "照片忘了"})
    assert response.status_code == 422
    assert body(response)["errors"] == {"file_ids": ["拍一拍至少需要一张照片。"]}


def test_empty_speak_claim_is_refused(v):
    response = v.submit({"activity_type": "speak", "text": "   "})
    assert response.status_code == 422
    assert body(response)["errors"] == {"text": ["请填写内容或附一段语音。"]}


def test_someone_elses_file_cannot_be_claimed(v):
    neighbour = make_villager_user(make_villager(v.village, name="王五"))
    their_file = v.file_id(make_photo(), headers=auth(neighbour))
    response = v.submit({"activity_type": "photo", "file_ids": [their_file]})
    assert response.status_code == 422
    assert body(response)["errors"] == {"file_ids": ["文件不存在或不是你上传的。"]}


def test_a_file_goes_to_one_claim_only(v):
    file_id = v.file_id(make_photo())
    assert v.submit({"activity_type": "photo", "file_ids": [file_id]}).status_code == 201
    again = v.submit({"activity_type": "photo", "file_ids": [file_id]})
    assert again.status_code == 409
    assert body(again)["status"] == "file_already_used"


def test_staff_cannot_submit_as_a_villager(v):
    response = v.submit({"activity_type": "speak", "text": "x"}, headers=auth(v.cw1))
    assert response.status_code == 403


def test_client_cannot_set_status_or_points(v):
    response = v.submit({"activity_type": "speak", "text": "x", "status": "approved"})
    assert response.status_code == 422
    assert body(response)["errors"] == {"status": ["不认识的字段。"]}


def review_item(v, submission_id: int) -> dict:
    return body(v.client.get(f"/api/v1/submissions/{submission_id}", headers=auth(v.cw1)))


def test_exact_duplicate_photo_is_flagged_with_a_link_to_the_earlier_claim(v):
    photo = make_photo(seed=7)
    first = v.submit_photo(photo)
    neighbour = make_villager_user(make_villager(v.village, name="王五"))
    second = v.submit_photo(photo, headers=auth(neighbour))

    assert second["status"] == "pending"  # flagged for the reviewer, not refused
    flagged = review_item(v, second["id"])
    assert flagged["flagged"] is True
    assert flagged["duplicate_of_id"] == first["id"]
    assert flagged["duplicate_distance"] == 0
    assert v.client.get(flagged["duplicate_of_url"], headers=auth(v.cw1)).status_code == 200
    assert review_item(v, first["id"])["flagged"] is False


def test_slightly_altered_copy_is_flagged_as_near_duplicate(v):
    photo = make_photo(seed=11)
    first = v.submit_photo(photo)
    second = v.submit_photo(altered_copy(photo))
    flagged = review_item(v, second["id"])
    assert flagged["flagged"] is True
    assert flagged["duplicate_of_id"] == first["id"]
    assert 0 < flagged["duplicate_distance"] <= 8


def test_different_photo_is_not_flagged(v):
    v.submit_photo(make_photo(seed=1))
    other = v.submit_photo(make_photo(seed=2))
    assert review_item(v, other["id"])["flagged"] is False


def test_duplicate_in_another_village_is_not_flagged(v, client):
    from tests.factories.submissions import Village

    photo = make_photo(seed=5)
    v.submit_photo(photo)
    elsewhere = Village(client)
    second = elsewhere.submit_photo(photo)
    assert review_item(elsewhere, second["id"])["flagged"] is False


def test_near_duplicate_threshold_is_configurable(app, v, monkeypatch):
    use_settings(monkeypatch, app, photo_duplicate_distance=0)
    photo = make_photo(seed=11)
    v.submit_photo(photo)
    second = v.submit_photo(altered_copy(photo))
    assert review_item(v, second["id"])["flagged"] is False


def test_villager_sees_only_their_own_claims(v):
    v.submit_speak()
    neighbour = make_villager_user(make_villager(v.village, name="王五"))
    assert body(v.client.get("/api/v1/me/submissions", headers=auth(neighbour)))["items"] == []


def test_my_submissions_paginate_newest_first(v):
    ids = [v.submit_speak(f"建议{i}")["id"] for i in range(3)]
    first = body(v.client.get("/api/v1/me/submissions?limit=2", headers=v.headers))
    assert [i["id"] for i in first["items"]] == ids[:0:-1]
    rest = body(v.client.get(f"/api/v1/me/submissions?limit=2&cursor={first['next_cursor']}", headers=v.headers))
    assert [i["id"] for i in rest["items"]] == [ids[0]]
    assert rest["next_cursor"] is None


def test_staff_of_another_village_cannot_open_a_claim(v):
    created = v.submit_speak()
    from tests.factories import make_village

    outsider = make_staff("committee", village=make_village())
    assert v.client.get(f"/api/v1/submissions/{created['id']}", headers=auth(outsider)).status_code == 404


def test_photo_in_json_is_refused(v):
    response = v.submit({"activity_type": "photo", "photo": "aGVsbG8="})
    assert response.status_code == 422
    assert body(response)["errors"] == {"photo": ["照片须以 multipart 文件上传。"]}


def test_multipart_may_also_name_earlier_uploads(v):
    earlier = v.file_id(make_photo(seed=3))
    response = v.client.post(
        "/api/v1/submissions",
        data={"activity_type": "photo", "file_ids": [str(earlier)], "photo": (io.BytesIO(make_photo(seed=4)), "p.jpg")},
        headers=keyed(v.headers),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert len(body(response)["files"]) == 2
