"""`@idempotent`: the one Idempotency-Key mechanism of the API (Stripe semantics; see services/idempotency.py).

Put it directly under the route decorator (`@blp.post(...)`), above `@blp.arguments`, so that it sees the final
answer of the view, domain errors included. It hands the view a `claim` argument (as `@signed_in` hands
`caller`), which the view passes to its one service; the service runs its work in
`claimed_transaction(claim)`. The answer the view renders is then kept in that same transaction, which commits
the work, the claim of the key and the answer together.

- `@idempotent`: the header is required (400 `idempotency_key_missing` without it): for operations a retry would
  repeat (a sale, an adjustment, a claim, an order).
- `@idempotent(required=False)`: for operations that are idempotent by nature (one vote, one check-in, one
  passed lesson): without the header `claim` is None and a retry is refused by the domain (409 already ...).

Keys are scoped to the signed-in user, at most MAX_KEY_LENGTH characters, kept at least IDEMPOTENCY_KEY_HOURS:
the same key with the same body replays the first answer (status and body, with `Idempotent-Replayed: true`);
with another body 409 `idempotency_key_reused`; while the first is still running 409 `idempotency_key_in_use`.
Server errors (5xx) keep nothing: the work is rolled back and a retry runs again.
"""

import copy
import hashlib
import json
from functools import partial, wraps

from flask import make_response, request
from flask_smorest.utils import deepupdate
from werkzeug.exceptions import HTTPException

from backend.api.auth_hooks import verified_caller
from backend.api.errors import handle_app_error, handle_http_exception
from backend.errors import AppError, BadRequest, InvalidInput
from backend.services import idempotency as store

HEADER = "Idempotency-Key"


class MissingKey(BadRequest):
    status, message = "idempotency_key_missing", "缺少 Idempotency-Key 请求头。"


def header_doc(*, required: bool) -> dict:
    """The OpenAPI description of the header, as `@idempotent` adds it to the view's documentation."""
    when = "Required" if required else "Optional (the operation is idempotent by nature)"
    return {
        "in": "header",
        "name": HEADER,
        "required": required,
        "schema": {"type": "string", "minLength": 1, "maxLength": store.MAX_KEY_LENGTH},
        "description": f"{when}: one unique key per intended operation (e.g. a UUID); a retry reuses it and "
        "gets the first answer again. Kept at least 24 hours, scoped to the signed-in user.",
    }


def request_fingerprint() -> str:
    """sha256 over method, path and the body: JSON canonicalised (key order and spacing do not matter), multipart
    as its fields and the sha256 of each file (a client's retry draws a new boundary)."""
    if request.mimetype == "multipart/form-data":
        files = []
        for name, stored in sorted(request.files.items(multi=True)):
            files.append([name, stored.filename, hashlib.sha256(stored.read()).hexdigest()])
            stored.seek(0)
        fields = sorted(request.form.items(multi=True))
        canonical = json.dumps({"fields": fields, "files": files}, ensure_ascii=False).encode()
    else:
        raw = request.get_data()
        try:
            canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
        except ValueError:
            canonical = raw
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + canonical).hexdigest()


def _replay(answer: store.Answer):
    response = make_response(answer.body, answer.status)
    response.mimetype = "application/json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _claim() -> store.Claim | None:
    """This request's claim, None without the header; 400 for an empty or 422 for an over-long key."""
    caller = verified_caller()
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key:
        raise MissingKey()
    if len(key) > store.MAX_KEY_LENGTH:
        raise InvalidInput(errors={HEADER: [f"Idempotency-Key 太长（最多 {store.MAX_KEY_LENGTH} 个字符）。"]})
    return store.Claim(user_id=caller.user_id, key=key, fingerprint=request_fingerprint())


def idempotent(view=None, *, required: bool = True):
    """Run `view` at most once per (user, Idempotency-Key), handing it `claim`; see the module docstring."""
    if view is None:
        return partial(idempotent, required=required)

    @wraps(view)
    def wrapper(*args, **kwargs):
        claim = _claim()
        if claim is None:
            if required:
                raise MissingKey()
            return view(*args, claim=None, **kwargs)
        earlier = store.look_up_key(claim)
        if earlier is not None:
            return _replay(earlier)
        try:
            response = make_response(view(*args, claim=claim, **kwargs))
        except store.KeyInProgress:
            # A concurrent request with this key took it first; ours wrote nothing. Answer as it did, or 409.
            earlier = store.look_up_key(claim)
            if earlier is None:
                raise
            return _replay(earlier)
        except AppError as error:
            store.drop_claim(claim)
            response = handle_app_error(error)
        except HTTPException as error:
            store.drop_claim(claim)
            response = handle_http_exception(error)
        except BaseException:
            store.drop_claim(claim)
            raise
        if response.status_code >= 500:
            store.drop_claim(claim)
            return response
        twin = store.keep_answer(claim, status=response.status_code, body=response.get_data(as_text=True))
        return response if twin is None else _replay(twin)

    # The header's documentation comes with the decorator, so that no view forgets it.
    apidoc = copy.deepcopy(getattr(view, "_apidoc", {}))
    parameters = apidoc.get("manual_doc", {}).get("parameters", [])
    wrapper._apidoc = deepupdate(apidoc, {"manual_doc": {"parameters": [*parameters, header_doc(required=required)]}})
    return wrapper
