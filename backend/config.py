"""Settings read from the environment; one class, no per-environment subclasses."""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-not-secret-change-me-in-production"  # noqa: S105 - the known value production refuses to start with


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def load_config() -> dict:
    """Build the Flask config mapping from environment variables."""
    instance = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))
    env = os.environ.get("APP_ENV", "development")
    return {
        "APP_ENV": env,
        "DEMO_MODE": _bool("DEMO_MODE", env != "production"),
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'village.db'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "JWT_SECRET_KEY": os.environ.get("JWT_SECRET_KEY", DEV_SECRET),
        # Pinned: tokens signed with anything else (including "none") are refused.
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=_int("JWT_ACCESS_MINUTES", 15)),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=_int("JWT_REFRESH_DAYS", 30)),
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_ERROR_MESSAGE_KEY": "message",
        "WECHAT_APP_ID": os.environ.get("WECHAT_APP_ID", ""),
        "WECHAT_APP_SECRET": os.environ.get("WECHAT_APP_SECRET", ""),
        "WECHAT_API_BASE": os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        # Notification kind -> subscribe-message template id (JSON), e.g. {"claim_decided": "<id>", ...}; each
        # template's keywords are thing1 (事项), thing2 (内容), time3 (时间).
        "WECHAT_SUBSCRIBE_TEMPLATES": os.environ.get("WECHAT_SUBSCRIBE_TEMPLATES", "{}"),
        "DATA_ENCRYPTION_KEY": os.environ.get("DATA_ENCRYPTION_KEY", ""),
        "BLIND_INDEX_KEY": os.environ.get("BLIND_INDEX_KEY", ""),
        # Ed25519 key that signs banks' credit reports (base64 seed, or a PEM file); earlier public keys (base64 of
        # the raw 32 bytes, comma-separated) stay published at /.well-known/jwks.json so old reports still verify.
        "REPORT_SIGNING_KEY": os.environ.get("REPORT_SIGNING_KEY", ""),
        "REPORT_SIGNING_KEY_FILE": os.environ.get("REPORT_SIGNING_KEY_FILE", ""),
        "REPORT_SIGNING_RETIRED_KEYS": os.environ.get("REPORT_SIGNING_RETIRED_KEYS", ""),
        # Institutions (banks): lifetime of their client-credentials access tokens, and the report requests one
        # institution may make (each institution's own `rate_limit` overrides it).
        "PARTNER_TOKEN_MINUTES": _int("PARTNER_TOKEN_MINUTES", 60),
        "PARTNER_RATE_LIMIT": os.environ.get("PARTNER_RATE_LIMIT", "60 per minute"),
        # The governance platform's Standard Webhooks secrets ("whsec_<base64>"; several while one is rotated, the
        # platform signs with any), and how many events an address may post (refusals are audited: no flood).
        "GOVERNANCE_WEBHOOK_SECRETS": os.environ.get("GOVERNANCE_WEBHOOK_SECRETS", ""),
        "INTEGRATION_RATE_LIMIT": os.environ.get("INTEGRATION_RATE_LIMIT", "300 per minute"),
        # Outbound webhooks: how long a receiver may take to answer before the attempt counts as failed.
        "WEBHOOK_TIMEOUT_SECONDS": _int("WEBHOOK_TIMEOUT_SECONDS", 10),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(instance / "uploads")),
        "MAX_CONTENT_LENGTH": _int("MAX_UPLOAD_MB", 10) * 1024 * 1024,
        "UNCLAIMED_UPLOAD_DAYS": max(_int("UNCLAIMED_UPLOAD_DAYS", 7), 1),
        # Uploads and review (speak and photo): voice size, photo pixels, near-duplicate distance (phash bits),
        # the award size above which a second committee member must approve, the public base of media links
        # (WeChat's checker fetches photos from it) and the token WeChat signs its callbacks with.
        "MAX_VOICE_MB": _int("MAX_VOICE_MB", 5),
        "MAX_PHOTO_PIXELS": _int("MAX_PHOTO_PIXELS", 40_000_000),
        "PHOTO_DUPLICATE_DISTANCE": _int("PHOTO_DUPLICATE_DISTANCE", 8),
        "REVIEW_SECOND_APPROVAL_ABOVE": _int("REVIEW_SECOND_APPROVAL_ABOVE", 20),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        "WECHAT_CALLBACK_TOKEN": os.environ.get("WECHAT_CALLBACK_TOKEN", ""),
        # Shops: pay-code lifetime and issue rate, the void window, how long shop orders wait for the keeper,
        # how long Idempotency-Key answers are kept (at least 24 h) and when a stuck claim may be taken over.
        "PAY_CODE_SECONDS": _int("PAY_CODE_SECONDS", 60),
        "PAY_CODE_RATE_LIMIT": os.environ.get("PAY_CODE_RATE_LIMIT", "12 per minute"),
        "REDEMPTION_VOID_HOURS": _int("REDEMPTION_VOID_HOURS", 24),
        "ORDER_PENDING_MINUTES": _int("ORDER_PENDING_MINUTES", 30),
        "IDEMPOTENCY_KEY_HOURS": max(_int("IDEMPOTENCY_KEY_HOURS", 24), 24),
        "IDEMPOTENCY_LOCK_SECONDS": _int("IDEMPOTENCY_LOCK_SECONDS", 60),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Graded protection (等保): roles that must sign in with a second factor (TOTP; off by default in demo mode, so
        # the demo logins work as documented), and how long a staff sign-in lasts without a refresh.
        "TOTP_REQUIRED_ROLES": os.environ.get(
            "TOTP_REQUIRED_ROLES", "" if _bool("DEMO_MODE", env != "production") else "town_admin city_admin admin"
        ),
        "STAFF_IDLE_MINUTES": _int("STAFF_IDLE_MINUTES", 30),
        # Retention (`flask data purge`): villagers who left are anonymised after these years, rejected claims'
        # files deleted after these months; the audit log is kept at least 180 days (等保), by default three years.
        "RETENTION_MOVED_OUT_YEARS": max(_int("RETENTION_MOVED_OUT_YEARS", 3), 1),
        "RETENTION_REJECTED_MONTHS": max(_int("RETENTION_REJECTED_MONTHS", 6), 1),
        "AUDIT_RETENTION_DAYS": max(_int("AUDIT_RETENTION_DAYS", 1095), 180),
        "LOGIN_FAILURE_LIMIT": os.environ.get("LOGIN_FAILURE_LIMIT", "5 per 15 minutes"),
        "BINDING_MAX_FAILURES": _int("BINDING_MAX_FAILURES", 5),
        "BINDING_LOCK_MINUTES": _int("BINDING_LOCK_MINUTES", 30),
        # Processes that score `flask credit recompute` batches; unset means one per core.
        "CREDIT_RECOMPUTE_WORKERS": os.environ.get("CREDIT_RECOMPUTE_WORKERS"),
        # The outbox worker: messages claimed per pass, how long a claim holds before another worker may retry it,
        # idle polling, attempts before a message is dead-lettered, and the backoff between attempts.
        "OUTBOX_BATCH": _int("OUTBOX_BATCH", 20),
        "OUTBOX_LEASE_SECONDS": _int("OUTBOX_LEASE_SECONDS", 60),
        "OUTBOX_POLL_SECONDS": float(os.environ.get("OUTBOX_POLL_SECONDS", "1")),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_BACKOFF_SECONDS": _int("OUTBOX_BACKOFF_SECONDS", 10),
        "OUTBOX_BACKOFF_MAX_SECONDS": _int("OUTBOX_BACKOFF_MAX_SECONDS", 3600),
        # Ledger anchors (README, "The ledger's anchors"): where signed checkpoints are appended, the Ed25519 key
        # that signs them (base64 seed, or a PEM file; development derives one from SECRET_KEY), and optionally an
        # RFC 3161 time-stamping service and the root certificates its stamps are checked against.
        "LEDGER_ANCHOR_FILE": os.environ.get("LEDGER_ANCHOR_FILE", str(instance / "ledger-anchors.jsonl")),
        "LEDGER_SIGNING_KEY": os.environ.get("LEDGER_SIGNING_KEY", ""),
        "LEDGER_SIGNING_KEY_FILE": os.environ.get("LEDGER_SIGNING_KEY_FILE", ""),
        "LEDGER_TSA_URL": os.environ.get("LEDGER_TSA_URL", ""),
        "LEDGER_TSA_ROOTS": os.environ.get("LEDGER_TSA_ROOTS", ""),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "backend" / "translations"),
        "API_TITLE": "村级积分信用 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": os.environ.get("SWAGGER_UI_URL", "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"),
        "INSTANCE_DIR": str(instance),
    }


def check_production_safety(config: dict) -> None:
    """Refuse to run in production with a development secret or key."""
    if config["APP_ENV"] != "production":
        return
    weak = [
        name
        for name in ("SECRET_KEY", "JWT_SECRET_KEY", "DATA_ENCRYPTION_KEY", "BLIND_INDEX_KEY")
        if not config.get(name) or config[name] == DEV_SECRET or len(config[name]) < 32
    ]
    if weak:
        raise RuntimeError(f"refusing to start in production with default, short or empty settings: {', '.join(weak)}")
    if config["DEMO_MODE"]:
        raise RuntimeError("refusing to start in production with DEMO_MODE on")
    if not (config.get("REPORT_SIGNING_KEY") or config.get("REPORT_SIGNING_KEY_FILE")):
        # Banks verify reports with the published key; one derived from SECRET_KEY would be a development key.
        raise RuntimeError("refusing to start in production without REPORT_SIGNING_KEY or REPORT_SIGNING_KEY_FILE")
    if config.get("WECHAT_APP_ID"):
        # WeChat fetches photos for its media check from PUBLIC_BASE_URL and signs its verdicts with the callback
        # token; without them every photo would silently stay "unchecked".
        missing = [name for name in ("WECHAT_APP_SECRET", "WECHAT_CALLBACK_TOKEN") if not config.get(name)]
        if not str(config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
            missing.append("PUBLIC_BASE_URL (https://...)")
        if missing:
            raise RuntimeError(f"refusing to start in production with WeChat on but without: {', '.join(missing)}")
