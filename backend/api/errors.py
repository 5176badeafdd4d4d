"""The one JSON error body for every failure, and the one table from domain error families to HTTP statuses.

Body: {"code": <http status>, "status": "<short name>", "message": "<human text>", "errors": {field: [msgs]}}.
Messages are Chinese msgids, translated to English by Flask-Babel when the client asks for it.
"""

import logging
import re

from flask import Flask, jsonify
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from backend.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    Locked,
    NotFound,
    TooLarge,
    TooManyRequests,
    Unauthorized,
    UpstreamUnavailable,
)

log = logging.getLogger(__name__)

# Each domain error is answered with the status of the nearest family it descends from.
STATUS_CODES: dict[type[AppError], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    InvalidInput: 422,
    Locked: 423,
    TooManyRequests: 429,
    UpstreamUnavailable: 503,
    AppError: 400,
}


def status_code(error: AppError) -> int:
    """The HTTP status of a domain error: that of its nearest family in STATUS_CODES."""
    return next(STATUS_CODES[cls] for cls in type(error).__mro__ if cls in STATUS_CODES)


HTTP_MESSAGES = {
    400: ("bad_request", "请求有误。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "没有权限执行此操作。"),
    404: ("not_found", "未找到。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    409: ("conflict", "与现有数据冲突。"),
    413: ("payload_too_large", "上传内容太大。"),
    415: ("unsupported_media_type", "不支持的内容类型。"),
    422: ("invalid_input", "输入有误，请检查标出的字段。"),
    428: ("precondition_required", "缺少必需的请求头。"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试。"),
    500: ("internal_error", "服务器内部错误，请稍后再试。"),
    503: ("unavailable", "服务暂时不可用，请稍后再试。"),
}

# marshmallow speaks English; these are its messages as Chinese msgids (English comes back via the catalogue).
_MARSHMALLOW = {
    "Missing data for required field.": "缺少必填字段。",
    "Field may not be null.": "该字段不能为空。",
    "Unknown field.": "不认识的字段。",
    "Invalid input type.": "输入类型无效。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid string.": "不是有效的文本。",
    "Not a valid boolean.": "不是有效的布尔值。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Not a valid email address.": "不是有效的电子邮箱。",
    "Not a valid UUID.": "不是有效的 UUID。",
    "Invalid value.": "值无效。",
    "Shorter than minimum length {min}.": "长度不能少于 %(min)s。",
    "Longer than maximum length {max}.": "长度不能超过 %(max)s。",
    "Length must be between {min} and {max}.": "长度须在 %(min)s 到 %(max)s 之间。",
    "Must be greater than or equal to {min}.": "不能小于 %(min)s。",
    "Must be less than or equal to {max}.": "不能大于 %(max)s。",
    "Must be greater than or equal to {min} and less than or equal to {max}.": "须在 %(min)s 到 %(max)s 之间。",
    "Must be one of: {choices}.": "须为以下之一：%(choices)s。",
    "Must be greater than {min}.": "须大于 %(min)s。",
}


def _as_pattern(template: str) -> re.Pattern:
    escaped = re.escape(template)
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", escaped) + "$")


_MARSHMALLOW_PATTERNS = [(_as_pattern(en), zh) for en, zh in _MARSHMALLOW.items()]


def translate_message(message) -> str:
    """Translate one validation message (marshmallow English or our Chinese msgid) to the request locale."""
    text = str(message)
    for pattern, msgid in _MARSHMALLOW_PATTERNS:
        match = pattern.match(text)
        if match:
            return gettext(msgid, **match.groupdict())
    return gettext(text)


def translate_messages(messages):
    """Walk marshmallow's nested messages and translate every leaf."""
    if isinstance(messages, dict):
        return {str(key): translate_messages(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [translate_messages(m) for m in messages]
    return translate_message(messages)


def error_body(code: int, status: str, message: str, errors: dict | None = None) -> dict:
    return {"code": code, "status": status, "message": message, "errors": errors or {}}


def error_response(code: int, status: str, message: str, errors: dict | None = None, headers=None):
    response = jsonify(error_body(code, status, message, errors))
    response.status_code = code
    if headers:
        response.headers.update(headers)
    return response


def _flatten_locations(messages: dict) -> dict:
    """webargs nests errors by location ({"json": {...}}); callers want {field: [...]}."""
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def handle_app_error(error: AppError):
    message = gettext(error.message, **error.params) if error.params else gettext(error.message)
    return error_response(status_code(error), error.status, message, translate_messages(error.errors))


def handle_http_exception(error: HTTPException):
    status, msgid = HTTP_MESSAGES.get(error.code or 500, ("error", "请求失败。"))
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    if errors and error.code in (400, 422):
        errors = _flatten_locations(errors)
    message = data.get("message") or msgid
    headers = data.get("headers")
    return error_response(error.code or 500, status, gettext(message), translate_messages(errors), headers)


# The session is rolled back when the request's app context tears down (Flask-SQLAlchemy removes it).
def handle_integrity_error(error: IntegrityError):
    log.warning("integrity error: %s", error.orig.__class__.__name__)
    return error_response(409, "conflict", gettext("与现有数据冲突（重复或关联的记录不存在）。"))


def handle_operational_error(error: OperationalError):
    log.exception("database unavailable")
    return error_response(503, "unavailable", gettext("服务暂时不可用，请稍后再试。"))


def handle_unexpected(error: Exception):
    log.exception("unhandled error")
    return error_response(500, "internal_error", gettext("服务器内部错误，请稍后再试。"))


def register_error_handlers(app: Flask) -> None:
    """One body for every failure: domain, HTTP, validation, integrity and unexpected ones."""
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(Exception, handle_unexpected)
