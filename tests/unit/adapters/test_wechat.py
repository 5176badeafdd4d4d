import hashlib
import json
import logging
import threading
import time

import pytest
from werkzeug import Response

from backend.adapters.wechat import (
    WeChatBusy,
    WeChatClient,
    WeChatError,
    WeChatInvalidCode,
    WeChatRateLimited,
    WeChatTokenInvalid,
    WeChatUnavailable,
    parse_media_check_callback,
    verify_callback_signature,
)

APP_ID = "wx-test-app"
SECRET = "s3cr3t-app-secret-value"
SESSION_KEY = "k3y-of-the-session=="
OPENID = "o-villager-1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(httpserver, clock) -> WeChatClient:
    return WeChatClient(APP_ID, SECRET, base_url=httpserver.url_for(""), timeout=2, clock=clock)


def serve_tokens(httpserver, *tokens: str, expires_in: int = 7200) -> list[dict]:
    """Answer the stable token endpoint with the given tokens in turn; return the request bodies seen."""
    seen: list[dict] = []

    def handler(request):
        seen.append(json.loads(request.get_data()))
        token = tokens[min(len(seen), len(tokens)) - 1]
        return Response(json.dumps({"access_token": token, "expires_in": expires_in}), mimetype="application/json")

    httpserver.expect_request("/cgi-bin/stable_token", method="POST").respond_with_handler(handler)
    return seen


def assert_no_secrets(error: BaseException) -> None:
    text = f"{error} {error!r} {error.__cause__!r} {error.__context__!r}"
    for secret in (SECRET, SESSION_KEY, "T-one", "the-code"):
        assert secret not in text


def test_code_to_session_returns_openid_unionid_and_session_key(client, httpserver):
    query = {"appid": APP_ID, "secret": SECRET, "js_code": "the-code", "grant_type": "authorization_code"}
    httpserver.expect_request("/sns/jscode2session", method="GET", query_string=query).respond_with_json(
        {"openid": OPENID, "session_key": SESSION_KEY, "unionid": "u-1"}
    )
    assert client.code_to_session("the-code") == {
        "openid": OPENID,
        "unionid": "u-1",
        "session_key": SESSION_KEY,
    }


def test_code_to_session_without_unionid_gives_none(client, httpserver):
    httpserver.expect_request("/sns/jscode2session").respond_with_json({"openid": OPENID, "session_key": SESSION_KEY})
    assert client.code_to_session("the-code")["unionid"] is None


@pytest.mark.parametrize(
    ("errcode", "error_class"),
    [
        (40029, WeChatInvalidCode),
        (40163, WeChatInvalidCode),
        (41008, WeChatInvalidCode),
        (45011, WeChatRateLimited),
        (-1, WeChatBusy),
        (40226, WeChatError),
    ],
)
def test_errcodes_become_typed_errors_without_secrets(client, httpserver, errcode, error_class):
    httpserver.expect_request("/sns/jscode2session").respond_with_json({"errcode": errcode, "errmsg": "nope"})
    with pytest.raises(error_class) as caught:
        client.code_to_session("the-code")
    assert type(caught.value) is error_class
    assert (caught.value.errcode, caught.value.errmsg) == (errcode, "nope")
    assert_no_secrets(caught.value)


def test_answer_without_openid_is_unavailable(client, httpserver):
    httpserver.expect_request("/sns/jscode2session").respond_with_json({"errcode": 0})
    with pytest.raises(WeChatUnavailable):
        client.code_to_session("the-code")


@pytest.mark.parametrize(
    ("body", "status", "content_type"),
    [
        ("upstream exploded", 502, "text/plain"),
        ("<html>ok</html>", 200, "text/html"),
        ("[1]", 200, "application/json"),
    ],
)
def test_server_errors_and_non_json_bodies_are_unavailable(client, httpserver, body, status, content_type):
    httpserver.expect_request("/sns/jscode2session").respond_with_data(body, status=status, content_type=content_type)
    with pytest.raises(WeChatUnavailable) as caught:
        client.code_to_session("the-code")
    assert caught.value.errcode is None
    assert_no_secrets(caught.value)


def test_timeout_is_unavailable_and_hides_the_secret_query(httpserver, caplog):
    def slow(request):
        time.sleep(0.6)
        return Response("{}", mimetype="application/json")

    httpserver.expect_request("/sns/jscode2session").respond_with_handler(slow)
    client = WeChatClient(APP_ID, SECRET, base_url=httpserver.url_for(""), timeout=0.2)
    with caplog.at_level(logging.DEBUG), pytest.raises(WeChatUnavailable, match="超时") as caught:
        client.code_to_session("the-code")
    assert caught.value.__context__ is None
    assert_no_secrets(caught.value)
    assert SECRET not in caplog.text
    assert "the-code" not in caplog.text


def test_refused_connection_is_unavailable():
    client = WeChatClient(APP_ID, SECRET, base_url="http://127.0.0.1:1", timeout=1)
    with pytest.raises(WeChatUnavailable, match="无法连接") as caught:
        client.get_access_token()
    assert_no_secrets(caught.value)


def test_access_token_comes_from_the_stable_endpoint_and_is_cached(client, httpserver, clock):
    seen = serve_tokens(httpserver, "T-one", "T-two")
    assert client.get_access_token() == "T-one"
    clock.now += 7200 - 301
    assert client.get_access_token() == "T-one"
    assert seen == [{"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}]


def test_access_token_is_refreshed_five_minutes_before_expiry(client, httpserver, clock):
    seen = serve_tokens(httpserver, "T-one", "T-two")
    assert client.get_access_token() == "T-one"
    clock.now += 7200 - 300
    assert client.get_access_token() == "T-two"
    assert len(seen) == 2


@pytest.mark.slow
def test_concurrent_callers_fetch_the_token_once(httpserver):
    calls = []

    def slow_token(request):
        calls.append(1)
        time.sleep(0.2)
        return Response(json.dumps({"access_token": "T-one", "expires_in": 7200}), mimetype="application/json")

    httpserver.expect_request("/cgi-bin/stable_token").respond_with_handler(slow_token)
    client = WeChatClient(APP_ID, SECRET, base_url=httpserver.url_for(""))
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(client.get_access_token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["T-one"] * 8
    assert len(calls) == 1


def test_msg_sec_check_sends_version_2_utf8_and_returns_the_verdict(client, httpserver):
    serve_tokens(httpserver, "T-one")
    expected = {"content": "村口路灯坏了", "version": 2, "scene": 2, "openid": OPENID}
    httpserver.expect_request(
        "/wxa/msg_sec_check", method="POST", query_string={"access_token": "T-one"}, json=expected
    ).respond_with_json({"errcode": 0, "errmsg": "ok", "result": {"suggest": "pass", "label": 100}, "trace_id": "tr-1"})
    verdict = client.msg_sec_check(OPENID, "村口路灯坏了")
    assert verdict == {"suggest": "pass", "label": 100, "trace_id": "tr-1"}
    request = httpserver.log[-1][0]
    assert "村口路灯坏了".encode() in request.get_data()


def test_invalid_token_is_refreshed_once_and_the_call_retried(client, httpserver):
    seen = serve_tokens(httpserver, "T-one", "T-two")
    httpserver.expect_request("/wxa/msg_sec_check", query_string={"access_token": "T-one"}).respond_with_json(
        {"errcode": 40001, "errmsg": "invalid credential"}
    )
    httpserver.expect_request("/wxa/msg_sec_check", query_string={"access_token": "T-two"}).respond_with_json(
        {"errcode": 0, "result": {"suggest": "risky", "label": 20001}, "trace_id": "tr-2"}
    )
    assert client.msg_sec_check(OPENID, "坏话", scene=3)["suggest"] == "risky"
    assert len(seen) == 2
    assert client.get_access_token() == "T-two"


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_token_still_invalid_after_one_refresh_raises(client, httpserver, errcode):
    seen = serve_tokens(httpserver, "T-one", "T-two", "T-three")
    httpserver.expect_request("/wxa/media_check_async").respond_with_json({"errcode": errcode, "errmsg": "expired"})
    with pytest.raises(WeChatTokenInvalid) as caught:
        client.media_check_async(OPENID, "https://example.invalid/a.jpg")
    assert len(seen) == 2
    assert_no_secrets(caught.value)


def test_rate_limit_on_security_check_is_not_retried(client, httpserver):
    seen = serve_tokens(httpserver, "T-one")
    httpserver.expect_request("/wxa/msg_sec_check").respond_with_json({"errcode": 45011, "errmsg": "limit"})
    with pytest.raises(WeChatRateLimited):
        client.msg_sec_check(OPENID, "你好")
    assert len(seen) == 1
    assert len(httpserver.log) == 2


def test_media_check_async_returns_the_trace_id(client, httpserver):
    serve_tokens(httpserver, "T-one")
    expected = {
        "media_url": "https://cdn.example/p.jpg",
        "media_type": 2,
        "version": 2,
        "scene": 1,
        "openid": OPENID,
    }
    httpserver.expect_request("/wxa/media_check_async", json=expected).respond_with_json(
        {"errcode": 0, "errmsg": "ok", "trace_id": "tr-9"}
    )
    assert client.media_check_async(OPENID, "https://cdn.example/p.jpg", scene=1) == "tr-9"


def test_media_check_callback_is_parsed():
    payload = {
        "ToUserName": "gh_1",
        "FromUserName": "o_system",
        "CreateTime": 1700000000,
        "MsgType": "event",
        "Event": "wxa_media_check",
        "appid": APP_ID,
        "trace_id": "tr-9",
        "version": 2,
        "detail": [{"strategy": "content_model", "errcode": 0, "suggest": "review", "label": 20002}],
        "errcode": 0,
        "errmsg": "ok",
        "result": {"suggest": "review", "label": 20002},
    }
    assert parse_media_check_callback(payload) == {"trace_id": "tr-9", "suggest": "review", "label": 20002}


def test_media_check_callback_with_errcode_raises_and_malformed_payload_is_refused():
    with pytest.raises(WeChatError):
        parse_media_check_callback({"trace_id": "tr-9", "errcode": -1008, "errmsg": "download failed"})
    with pytest.raises(ValueError):
        parse_media_check_callback({"result": {"suggest": "pass"}})
    with pytest.raises(ValueError):
        parse_media_check_callback({"trace_id": "tr-9", "result": {"suggest": "maybe"}})


def test_callback_signature_is_verified():
    signature = hashlib.sha1(b"".join(sorted([b"tok", b"1700000000", b"nonce"]))).hexdigest()  # noqa: S324
    assert verify_callback_signature("tok", signature, "1700000000", "nonce")
    assert not verify_callback_signature("tok", signature, "1700000001", "nonce")
    assert not verify_callback_signature("tok", "", "1700000000", "nonce")


def test_client_repr_hides_the_secret(client):
    assert SECRET not in repr(client)
