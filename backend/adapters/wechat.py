"""A thin client of the WeChat mini-program server API (login, stable access token, v2 content security).

WeChat answers HTTP 200 with an ``errcode`` in the body; we turn those into typed exceptions.
Exception texts and log lines never carry the app secret, the access token, a js_code or a session_key.
"""

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypedDict

import requests

log = logging.getLogger(__name__)

# Refresh this long before WeChat's stated expiry, so a token never dies in flight.
TOKEN_REFRESH_MARGIN = 300


class WeChatError(Exception):
    """WeChat refused or failed a call; errcode is WeChat's code (None when no answer came)."""

    def __init__(self, errcode: int | None, errmsg: str):
        super().__init__(f"微信接口错误 {errcode}: {errmsg}" if errcode is not None else errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatInvalidCode(WeChatError):
    """The login code is invalid, expired, already used or missing (40029, 40163, 41008)."""


class WeChatRateLimited(WeChatError):
    """WeChat's call frequency limit was hit (45011)."""


class WeChatBusy(WeChatError):
    """WeChat's system is busy (-1); the caller may retry later."""


class WeChatTokenInvalid(WeChatError):
    """The access token is invalid or expired (40001, 40014, 42001)."""


class WeChatUnavailable(WeChatError):
    """No usable answer: timeout, connection failure, HTTP 5xx or a body that is not JSON."""


class WeChatSubscriptionRefused(WeChatError):
    """The user has no subscription left for this template (43101): refused, or the grant was used up."""


class WeChatInvalidMessage(WeChatError):
    """The subscribe message itself is wrong: template id, data or page (40003, 40037, 47003, 41030)."""


class TokenStore(Protocol):
    """Where processes share the access token: `load` gives (token, deadline) or None; deadlines are time.time()."""

    def load(self, app_id: str) -> tuple[str, float] | None: ...

    def save(self, app_id: str, token: str, deadline: float) -> None: ...

    def discard(self, app_id: str, token: str) -> None: ...


_ERRORS: dict[int, type[WeChatError]] = {
    40029: WeChatInvalidCode,
    40163: WeChatInvalidCode,
    41008: WeChatInvalidCode,
    45011: WeChatRateLimited,
    -1: WeChatBusy,
    40001: WeChatTokenInvalid,
    40014: WeChatTokenInvalid,
    42001: WeChatTokenInvalid,
    43101: WeChatSubscriptionRefused,
    40003: WeChatInvalidMessage,
    40037: WeChatInvalidMessage,
    41030: WeChatInvalidMessage,
    47003: WeChatInvalidMessage,
}


class Session(TypedDict):
    openid: str
    unionid: str | None
    session_key: str


class SecurityVerdict(TypedDict):
    suggest: str
    label: int | None
    trace_id: str | None


class MediaCheckResult(TypedDict):
    trace_id: str
    suggest: str
    label: int | None


def raise_for_errcode(body: dict[str, Any]) -> None:
    """Raise the typed WeChatError for a non-zero errcode in an answer body."""
    errcode = body.get("errcode") or 0
    if errcode:
        errmsg = str(body.get("errmsg", ""))
        raise _ERRORS.get(errcode, WeChatError)(errcode, errmsg)


class WeChatClient:
    """One mini-program's server-side API client; safe to share between threads."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        base_url: str = "https://api.weixin.qq.com",
        timeout: float = 5,
        session: requests.Session | None = None,
        clock: Callable[[], float] | None = None,
        token_store: TokenStore | None = None,
    ):
        self.app_id = app_id
        self._secret = app_secret
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = session or requests.Session()
        # A shared store compares deadlines across processes, so it needs wall-clock time.
        self._clock = clock or (time.time if token_store is not None else time.monotonic)
        self._store = token_store
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._token_deadline = 0.0

    def __repr__(self) -> str:
        return f"<WeChatClient app_id={self.app_id} base_url={self.base_url}>"

    def _call(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None) -> dict:
        """Send one request and return the JSON body, raising typed errors; no secret reaches a message."""
        url = self.base_url + path
        data = None
        headers = {}
        if body is not None:
            # Unescaped UTF-8: content security checks the text WeChat receives, not \\u escapes.
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        failure = None
        try:
            resp = self._http.request(method, url, params=params, data=data, headers=headers, timeout=self.timeout)
        except requests.Timeout:
            failure = "微信接口超时"
        except requests.RequestException:
            failure = "无法连接微信接口"
        # Raised outside the except block: the requests error text holds the URL and its secret query.
        if failure is not None:
            log.warning("wechat call failed", extra={"path": path, "reason": failure})
            raise WeChatUnavailable(None, failure)
        if resp.status_code != 200:
            log.warning("wechat http status", extra={"path": path, "status": resp.status_code})
            raise WeChatUnavailable(None, f"微信接口返回 HTTP {resp.status_code}")
        try:
            answer = resp.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise WeChatUnavailable(None, "微信接口返回了无法解析的内容")
        if answer.get("errcode"):
            log.info("wechat errcode", extra={"path": path, "errcode": answer.get("errcode")})
        raise_for_errcode(answer)
        return answer

    def code_to_session(self, js_code: str) -> Session:
        """Exchange a wx.login code for the user's openid, unionid (or None) and session_key."""
        params = {
            "appid": self.app_id,
            "secret": self._secret,
            "js_code": js_code,
            "grant_type": "authorization_code",
        }
        answer = self._call("GET", "/sns/jscode2session", params=params)
        if not answer.get("openid") or not answer.get("session_key"):
            raise WeChatUnavailable(None, "微信登录接口未返回 openid")
        return {
            "openid": answer["openid"],
            "unionid": answer.get("unionid") or None,
            "session_key": answer["session_key"],
        }

    def get_access_token(self) -> str:
        """Return the cached access token, fetching one from the stable token endpoint near expiry."""
        with self._token_lock:
            now = self._clock()
            if self._token is not None and now < self._token_deadline:
                return self._token
            shared = self._store.load(self.app_id) if self._store is not None else None
            if shared is not None and now < shared[1]:
                self._token, self._token_deadline = shared
                return self._token
            # Normal mode (no force_refresh): WeChat returns the current token that every worker shares,
            # so one worker refreshing never invalidates another's.
            body = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
            answer = self._call("POST", "/cgi-bin/stable_token", body=body)
            token = answer.get("access_token")
            if not token:
                raise WeChatUnavailable(None, "微信接口未返回 access_token")
            expires_in = int(answer.get("expires_in") or 7200)
            self._token = token
            self._token_deadline = self._clock() + max(expires_in - TOKEN_REFRESH_MARGIN, 0)
            if self._store is not None:
                self._store.save(self.app_id, token, self._token_deadline)
            return token

    def _drop_token(self, token: str) -> None:
        with self._token_lock:
            # Only drop the token that failed; another thread may already hold a fresh one.
            if self._token == token:
                self._token = None
            if self._store is not None:
                self._store.discard(self.app_id, token)

    def _call_with_token(self, path: str, body: dict) -> dict:
        """POST with the access token, refreshing it once and retrying if WeChat says it is invalid."""
        for attempt in range(2):
            token = self.get_access_token()
            try:
                return self._call("POST", path, params={"access_token": token}, body=body)
            except WeChatTokenInvalid:
                self._drop_token(token)
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def msg_sec_check(self, openid: str, content: str, scene: int = 2) -> SecurityVerdict:
        """Check a text with content security v2; suggest is "pass", "review" or "risky"."""
        body = {"content": content, "version": 2, "scene": scene, "openid": openid}
        answer = self._call_with_token("/wxa/msg_sec_check", body)
        result = answer.get("result") or {}
        if result.get("suggest") not in {"pass", "review", "risky"}:
            raise WeChatUnavailable(None, "微信内容安全接口未返回结论")
        return {
            "suggest": result["suggest"],
            "label": result.get("label"),
            "trace_id": answer.get("trace_id"),
        }

    def media_check_async(self, openid: str, media_url: str, media_type: int = 2, scene: int = 2) -> str:
        """Submit an image (2) or audio (1) URL for asynchronous checking; return WeChat's trace_id."""
        body = {
            "media_url": media_url,
            "media_type": media_type,
            "version": 2,
            "scene": scene,
            "openid": openid,
        }
        answer = self._call_with_token("/wxa/media_check_async", body)
        trace_id = answer.get("trace_id")
        if not trace_id:
            raise WeChatUnavailable(None, "微信内容安全接口未返回 trace_id")
        return trace_id

    def send_subscribe_message(
        self, openid: str, template_id: str, data: dict[str, str], *, page: str | None = None, state: str = "formal"
    ) -> None:
        """Send one subscribe message (uses one of the user's grants of `template_id`); `data` is keyword -> text."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": state,
            "lang": "zh_CN",
        }
        if page:
            body["page"] = page
        self._call_with_token("/cgi-bin/message/subscribe/send", body)


def parse_media_check_callback(payload: dict) -> MediaCheckResult:
    """Read WeChat's wxa_media_check push (JSON mode); raise WeChatError if the check itself failed."""
    if not isinstance(payload, dict) or not payload.get("trace_id"):
        raise ValueError("not a media check callback: trace_id is missing")
    raise_for_errcode(payload)
    result = payload.get("result") or {}
    suggest = result.get("suggest")
    if suggest not in {"pass", "review", "risky"}:
        raise ValueError("media check callback has no valid result.suggest")
    return {"trace_id": str(payload["trace_id"]), "suggest": suggest, "label": result.get("label")}


def verify_callback_signature(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """Tell whether a push from WeChat is genuine: sha1 of the sorted token, timestamp and nonce."""
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()  # noqa: S324 - WeChat's protocol
    return hmac.compare_digest(expected, signature or "")
