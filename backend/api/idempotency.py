"""`@idempotent`: Stripe-style Idempotency-Key handling for any endpoint that moves points.

Put it directly under the route decorator (`@blp.post(...)`), above `@blp.arguments`, so that it sees the final
answer of the view, including domain errors. The header is required (400 without it). Keys are scoped to the
signed-in user and kept at least IDEMPOTENCY_KEY_HOURS (default 24 h): the same key with the same body replays
the first answer (status and body, with `Idempotent-Replayed: true`); with another body 422; while the first is
still running 409. Server errors (5xx) are not kept: the key is released and a retry runs again.

The view hands `idempotency_claim(schema, status)` to its service, which records the claim and keeps the rendered
answer inside its own transaction, so the work, the claim of its key and the answer commit together; the view then
returns `kept_response(claim)`, the very body that retries will get. A view that passes no schema has its answer
kept right after its transaction instead.
"""

import hashlib
import json
from functools import wraps

from flask import current_app, g, make_response, request
from werkzeug.exceptions import HTTPException

from backend.api.auth_hooks import verified_caller
from backend.api.errors import handle_app_error, handle_http_exception
from backend.errors import AppError, BadRequest, InvalidInput
from backend.services import idempotency as store

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": True,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "A unique key per intended operation (e.g. a UUID); retries reuse it. Kept at least 24 hours.",
}


class MissingKey(BadRequest):
    status, message = "idempotency_key_missing", "缺少 Idempotency-Key 请求头。"


def request_fingerprint() -> str:
    """sha256 over method, path and the body (JSON canonicalised, so key order and spacing do not matter)."""
    raw = request.get_data()
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except ValueError:
        canonical = raw
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + canonical).hexdigest()


def _replay(status: int, body: str):
    response = make_response(body, status)
    response.mimetype = "application/json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotency_claim(schema=None, status: int = 200) -> store.Claim:
    """The claim of this request's Idempotency-Key, for the view to pass to its service.

    With a marshmallow `schema`, the service keeps the answer (`status`, the result dumped as JSON) in its own
    transaction.
    """
    claim = g._idempotency_claim
    if schema is not None:
        claim.render = lambda result: (status, current_app.json.dumps(schema.dump(result)))
    return claim


def kept_response(claim: store.Claim):
    """The answer the service kept with its work, as the response (what a retry will replay, byte for byte)."""
    response = make_response(claim.answer.body, claim.answer.status)
    response.mimetype = "application/json"
    return response


def idempotent(view):
    """Run `view` at most once per (user, Idempotency-Key); see the module docstring for the answers."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        caller = verified_caller()
        key = (request.headers.get(HEADER) or "").strip()
        if not key:
            raise MissingKey()
        if len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(errors={HEADER: ["Idempotency-Key 太长（最多 255 个字符）。"]})
        claim = store.Claim(user_id=caller.user_id, key=key, fingerprint=request_fingerprint())
        earlier = store.look_up_key(user_id=claim.user_id, key=key, fingerprint=claim.fingerprint)
        if earlier is not None:
            return _replay(earlier.status, earlier.body)
        g._idempotency_claim = claim
        try:
            response = make_response(view(*args, **kwargs))
        except store.KeyInProgress:
            # A concurrent request with this key claimed it first; ours wrote nothing. Answer as it did, or 409.
            earlier = store.look_up_key(user_id=claim.user_id, key=key, fingerprint=claim.fingerprint)
            if earlier is None:
                raise
            return _replay(earlier.status, earlier.body)
        except AppError as error:
            response = handle_app_error(error)
        except HTTPException as error:
            response = handle_http_exception(error)
        except BaseException:
            store.release_request(claim=claim)
            raise
        if claim.answer is not None and response.status_code == claim.answer.status:
            return response  # kept inside the use case's transaction
        if response.status_code >= 500:
            store.release_request(claim=claim)
            return response
        twin = store.finish_request(claim=claim, status=response.status_code, body=response.get_data(as_text=True))
        return response if twin is None else _replay(twin.status, twin.body)

    return wrapper
