"""Structured JSON logs with a request id on every line, and Prometheus metrics."""

import logging
import os
import re
import secrets
import sys
import time

import structlog
from flask import Flask, g, request
from prometheus_client import CollectorRegistry
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

# Anything shaped like an ID number or a mobile number is masked before a line is written.
_ID_NUMBER = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")
_PHONE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
_SECRET_KEYS = {
    "authorization",
    "password",
    "token",
    "access_token",
    "refresh_token",
    "session_key",
    "secret",
}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def redact_text(text: str) -> str:
    return _PHONE.sub(r"\1****\2", _ID_NUMBER.sub(r"\1********\2", text))


def _redact(_logger, _name, event_dict: dict) -> dict:
    for key, value in list(event_dict.items()):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "[redacted]"
        elif isinstance(value, str):
            event_dict[key] = redact_text(value)
    return event_dict


def configure_logging(level: str) -> None:
    """Route structlog and the standard library through one JSON renderer on stderr."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if getattr(h, "_village_json", False) is False]
    handler._village_json = True
    root.addHandler(handler)
    root.setLevel(level)


def register_request_logging(app: Flask) -> None:
    log = structlog.get_logger("backend.request")

    @app.before_request
    def _bind_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else secrets.token_urlsafe(12)
        g.request_id = request_id
        g.started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        # The path only: query strings can carry pay-code tokens.
        structlog.contextvars.bind_contextvars(request_id=request_id, method=request.method, path=request.path)

    @app.after_request
    def _log_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("request", status=response.status_code, ms=round(elapsed, 2))
        return response

    @app.teardown_request
    def _unbind(_exc):
        structlog.contextvars.clear_contextvars()


def register_metrics(app: Flask) -> None:
    """/metrics; under gunicorn, PROMETHEUS_MULTIPROC_DIR makes every worker's samples add up."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics = GunicornInternalPrometheusMetrics(app, group_by="endpoint")
    else:
        # A registry per app: tests build several apps in one process.
        metrics = PrometheusMetrics(app, registry=CollectorRegistry(), group_by="endpoint")
    metrics.info("village_app_info", "Village credit backend", version="0.1.0")
    app.extensions["metrics"] = metrics


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")
