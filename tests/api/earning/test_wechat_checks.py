"""WeChat content security against a local fake WeChat: text checked at once, photos by callback."""

import hashlib
import json

import pytest
from werkzeug import Response

from tests.conftest import body, use_settings
from tests.factories import auth
from tests.factories.submissions import make_photo

TOKEN = "callback-token-for-tests"
PUBLIC = "https://village.example"


@pytest.fixture
def wechat(app, httpserver, monkeypatch):
    """WeChat configured for real, against the fake server; returns the bodies WeChat received per path."""
    use_settings(
        monkeypatch,
        app,
        demo_mode=False,
        wechat_api_base=httpserver.url_for(""),
        wechat_callback_token=TOKEN,
        public_base_url=PUBLIC,
    )
    httpserver.expect_request("/cgi-bin/stable_token", method="POST").respond_with_json(
        {"access_token": "T-1", "expires_in": 7200}
    )
    return httpserver


def answer_text(httpserver, suggest: str, seen: list | None = None) -> None:
    def handler(request):
        if seen is not None:
            seen.append(json.loads(request.get_data()))
        answer = {"errcode": 0, "trace_id": "t-text", "result": {"suggest": suggest, "label": 100}}
        return Response(json.dumps(answer), mimetype="application/json")

    httpserver.expect_request("/wxa/msg_sec_check", method="POST").respond_with_handler(handler)


def answer_media(httpserver, trace_id: str, seen: list) -> None:
    def handler(request):
        seen.append(json.loads(request.get_data()))
        return Response(json.dumps({"errcode": 0, "trace_id": trace_id}), mimetype="application/json")

    httpserver.expect_request("/wxa/media_check_async", method="POST").respond_with_handler(handler)


def signed(timestamp="1700000000", nonce="n0nce", token=TOKEN) -> str:
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324
    return f"signature={signature}&timestamp={timestamp}&nonce={nonce}"


def push(client, trace_id: str, suggest: str, query: str | None = None):
    payload = {
        "ToUserName": "gh_x",
        "FromUserName": "o-system",
        "MsgType": "event",
        "Event": "wxa_media_check",
        "appid": "wx-test-app",
        "trace_id": trace_id,
        "version": 2,
        "errcode": 0,
        "errmsg": "ok",
        "result": {"suggest": suggest, "label": 20002 if suggest != "pass" else 100},
    }
    return client.post(f"/api/v1/wechat/media-check-callback?{query or signed()}", json=payload)


def review_item(v, claim_id: int) -> dict:
    return body(v.client.get(f"/api/v1/submissions/{claim_id}", headers=auth(v.cw1)))


def test_without_real_wechat_nothing_is_checked(v):
    claim = v.submit_photo(make_photo())
    assert review_item(v, claim["id"])["security_status"] == "not_required"


def test_risky_text_holds_the_claim_for_the_committee(v, wechat):
    seen: list = []
    answer_text(wechat, "risky", seen)
    claim = v.submit_speak("某段违规文字")
    assert claim["status"] == "held"
    assert seen[0]["content"] == "某段违规文字"
    assert (seen[0]["version"], seen[0]["openid"]) == (2, v.user.openid)

    item = review_item(v, claim["id"])
    assert (item["security_status"], item["hold_reason"]) == ("risky", "文字内容经微信内容安全检测需人工复核。")
    queue = body(v.client.get("/api/v1/review/submissions?status=held", headers=auth(v.cw1)))
    assert [i["id"] for i in queue["items"]] == [claim["id"]]
    # A person decides: a held claim can still be approved (a false alarm) or rejected.
    assert body(v.decide(claim["id"], "approve", v.cw1))["status"] == "approved"


def test_passed_text_stays_pending(v, wechat):
    answer_text(wechat, "pass")
    claim = v.submit_speak()
    assert claim["status"] == "pending"
    assert review_item(v, claim["id"])["security_status"] == "passed"


def test_photo_is_checked_asynchronously_and_a_risky_verdict_holds_the_claim(v, wechat):
    answer_text(wechat, "pass")
    media: list = []
    answer_media(wechat, "trace-photo-1", media)
    claim = v.submit_photo(make_photo())
    assert claim["status"] == "pending"
    assert review_item(v, claim["id"])["security_status"] == "checking"

    sent = media[0]
    assert (sent["media_type"], sent["version"], sent["openid"]) == (2, 2, v.user.openid)
    assert sent["media_url"].startswith(PUBLIC + "/api/v1/media/")
    fetched = v.client.get(sent["media_url"].removeprefix(PUBLIC))  # what WeChat's checker downloads
    assert (fetched.status_code, fetched.mimetype) == (200, "image/jpeg")

    response = push(v.client, "trace-photo-1", "risky")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "success"
    item = review_item(v, claim["id"])
    assert (item["status"], item["security_status"]) == ("held", "risky")
    assert item["hold_reason"] == "照片经微信内容安全检测需人工复核。"
    mine = body(v.client.get("/api/v1/me/submissions", headers=v.headers))["items"][0]
    assert mine["status"] == "held"


def test_pass_verdict_for_every_photo_marks_the_claim_passed(v, wechat):
    traces = iter(["trace-a", "trace-b"])
    media: list = []

    def handler(request):
        media.append(json.loads(request.get_data()))
        return Response(json.dumps({"errcode": 0, "trace_id": next(traces)}), mimetype="application/json")

    wechat.expect_request("/wxa/media_check_async", method="POST").respond_with_handler(handler)
    files = [v.file_id(make_photo(seed=1)), v.file_id(make_photo(seed=2))]
    claim = body(v.submit({"activity_type": "photo", "file_ids": files}))

    push(v.client, "trace-a", "pass")
    assert review_item(v, claim["id"])["security_status"] == "checking"
    push(v.client, "trace-b", "pass")
    item = review_item(v, claim["id"])
    assert (item["status"], item["security_status"]) == ("pending", "passed")


def test_callback_with_a_bad_signature_is_refused(v, wechat):
    media: list = []
    answer_media(wechat, "trace-x", media)
    claim = v.submit_photo(make_photo(), text="")
    response = push(v.client, "trace-x", "risky", query=signed(token="forged"))
    assert response.status_code == 403
    assert body(response)["status"] == "signature_invalid"
    assert review_item(v, claim["id"])["status"] == "pending"


def test_callback_for_an_unknown_trace_is_404(v, wechat):
    assert push(v.client, "trace-nobody-asked-for", "risky").status_code == 404


def test_callback_url_handshake_echoes_when_signed(v, wechat):
    ok = v.client.get(f"/api/v1/wechat/media-check-callback?{signed()}&echostr=hello123")
    assert (ok.status_code, ok.get_data(as_text=True)) == (200, "hello123")
    forged = v.client.get(f"/api/v1/wechat/media-check-callback?{signed(token='x')}&echostr=hello123")
    assert forged.status_code == 403


def test_wechat_down_still_accepts_the_claim_marked_unchecked(v, wechat):
    wechat.expect_request("/wxa/msg_sec_check").respond_with_data("upstream broke", status=502)
    wechat.expect_request("/wxa/media_check_async").respond_with_data("upstream broke", status=502)
    claim = v.submit_photo(make_photo(), text="门口清扫")
    assert claim["status"] == "pending"
    assert review_item(v, claim["id"])["security_status"] == "unchecked"
    assert body(v.decide(claim["id"], "approve", v.cw1, amount=5))["points_awarded"] == 5


def test_callback_saying_the_check_itself_failed_leaves_the_claim_for_a_person(v, wechat):
    answer_media(wechat, "trace-failed", [])
    claim = v.submit_photo(make_photo(), text="")
    payload = {"trace_id": "trace-failed", "errcode": 40001, "errmsg": "media fetch failed", "result": {}}
    response = v.client.post(f"/api/v1/wechat/media-check-callback?{signed()}", json=payload)
    assert response.status_code == 200
    item = review_item(v, claim["id"])
    assert (item["status"], item["security_status"]) == ("pending", "unchecked")
