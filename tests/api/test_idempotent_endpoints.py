"""Every POST that moves points or creates something a retry could duplicate goes through `@idempotent`."""

import io

import pytest

from backend.extensions import db
from backend.models import Submission
from tests.conftest import body
from tests.factories import auth
from tests.factories.submissions import Village, make_photo

# POST path -> whether the header is required; the others are idempotent by nature.
IDEMPOTENT_POSTS = {
    "/api/v1/redemptions": True,
    "/api/v1/villagers/{villager_id}/point-adjustments": True,
    "/api/v1/submissions": True,
    "/api/v1/villagers/{villager_id}/assisted-submissions": True,
    "/api/v1/shops/{shop_id}/orders": True,
    "/api/v1/me/consents": True,
    "/api/v1/institutions": True,
    "/api/v1/rule-templates": True,
    "/api/v1/rule-templates/{template_id}/versions": True,
    "/api/v1/rule-sets/from-template": True,
    "/api/v1/webhook-subscriptions": True,
    "/api/v1/me/subscriptions": True,
    "/api/v1/polls/{poll_id}/votes": False,
    "/api/v1/events/{event_id}/check-ins": False,
    "/api/v1/lessons/{lesson_id}/completions": False,
}


def test_the_openapi_document_says_which_posts_take_and_which_require_the_key(client):
    paths = body(client.get("/api/v1/openapi.json"))["paths"]
    for path, required in IDEMPOTENT_POSTS.items():
        headers = [p for p in paths[path]["post"].get("parameters", []) if p.get("name") == "Idempotency-Key"]
        assert [h["required"] for h in headers] == [required], path
        assert headers[0]["schema"]["maxLength"] == 255
    keyed = {
        path
        for path, item in paths.items()
        for method, operation in item.items()
        if method != "parameters" and any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    assert keyed == set(IDEMPOTENT_POSTS)


@pytest.fixture
def claimant(client):
    return Village(client)


def _photo_claim(client, headers):
    return client.post(
        "/api/v1/submissions",
        data={"activity_type": "photo", "text": "清理了河边垃圾", "photo": (io.BytesIO(make_photo(seed=9)), "p.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_a_retried_photo_claim_makes_one_submission(claimant):
    headers = {**claimant.headers, "Idempotency-Key": "photo-1"}
    first = _photo_claim(claimant.client, headers)
    # The retry is a new multipart body (a new boundary) with the same fields and the same photo.
    again = _photo_claim(claimant.client, headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert body(again) == body(first)
    assert db.session.query(Submission).count() == 1


def test_a_claim_without_a_key_is_refused_and_nothing_is_stored(claimant):
    response = claimant.client.post(
        "/api/v1/submissions", json={"activity_type": "speak", "text": "修路灯"}, headers=claimant.headers
    )
    assert response.status_code == 400 and body(response)["status"] == "idempotency_key_missing"
    assert db.session.query(Submission).count() == 0


def test_an_assisted_entry_retried_with_its_key_is_recorded_once(claimant):
    headers = {**auth(claimant.cw1), "Idempotency-Key": "assist-1"}
    url = f"/api/v1/villagers/{claimant.villager.id}/assisted-submissions"
    payload = {"activity_type": "speak", "text": "帮老人代录：修水渠"}
    first = claimant.client.post(url, json=payload, headers=headers)
    again = claimant.client.post(url, json=payload, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert body(again)["id"] == body(first)["id"]
    assert db.session.query(Submission).count() == 1
