"""Typed domain errors: what went wrong, in words the caller can act on. No HTTP here.

A subclass names its case with a short `status` and a Simplified-Chinese `message` (a msgid; `%(name)s`
placeholders are filled from keyword arguments). The HTTP layer turns each family into a status code through one
table (`backend/api/errors.py:STATUS_CODES`) and every failure into the one body
`{"code", "status", "message", "errors"}`.
"""


class AppError(Exception):
    """A failure the caller can act on; subclasses name the case (`status`) and say it (`message`)."""

    status = "bad_request"
    message = "请求有误。"

    def __init__(self, message: str | None = None, *, errors: dict | None = None, **params):
        super().__init__(message or self.message)
        self.message = message or type(self).message
        self.errors = errors or {}
        self.params = params


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status, message = "unauthorized", "请先登录。"


class Forbidden(AppError):
    status, message = "forbidden", "没有权限执行此操作。"


class NotFound(AppError):
    status, message = "not_found", "未找到该记录。"


class Conflict(AppError):
    status, message = "conflict", "与现有数据冲突。"


class Gone(AppError):
    status, message = "gone", "已过期。"


class TooLarge(AppError):
    status, message = "payload_too_large", "上传内容太大。"


class InvalidInput(AppError):
    status, message = "invalid_input", "输入有误，请检查标出的字段。"


class Locked(AppError):
    status, message = "locked", "操作已被暂时锁定，请稍后再试。"


class TooManyRequests(AppError):
    status, message = "too_many_requests", "请求过于频繁，请稍后再试。"


class UpstreamUnavailable(AppError):
    status, message = "upstream_unavailable", "外部服务暂时不可用，请稍后再试。"
