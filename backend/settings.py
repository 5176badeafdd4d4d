"""The application's own settings as one typed, frozen object, built from the Flask config by `create_app`.

Services, adapters and commands read `current_settings()` (or take a value passed in) instead of looking keys
up in `current_app.config`: a misspelt name fails at import, every setting is listed here with its type, and a
test changes one with `dataclasses.replace` (tests/settings.py: `use_settings`). The Flask extensions
(SQLAlchemy, JWT, Limiter, Babel, smorest) keep reading their own keys from `app.config`.
"""

import json
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app

EXTENSION_KEY = "village_settings"


@dataclass(frozen=True, slots=True)
class Settings:
    app_env: str
    demo_mode: bool
    secret_key: str
    # Personal numbers: AES-GCM key and blind-index key (base64); empty in development, derived from secret_key.
    data_encryption_key: str
    blind_index_key: str
    access_token_lifetime: timedelta
    refresh_token_lifetime: timedelta
    login_failure_limit: str
    binding_max_failures: int
    binding_lock_minutes: int
    wechat_app_id: str
    wechat_app_secret: str
    wechat_api_base: str
    wechat_callback_token: str
    # Notification kind -> WeChat subscribe-message template id (keywords thing1, thing2, time3).
    wechat_subscribe_templates: dict[str, str]
    public_base_url: str
    upload_folder: str
    unclaimed_upload_days: int
    max_voice_mb: int
    max_photo_pixels: int
    photo_duplicate_distance: int
    review_second_approval_above: int
    pay_code_seconds: int
    pay_code_rate_limit: str
    redemption_void_hours: int
    order_pending_minutes: int
    idempotency_key_hours: int
    idempotency_lock_seconds: int
    credit_recompute_workers: int | None
    # Banks: the key that signs their reports (seed or PEM file) and earlier public keys still published,
    # their access-token lifetime and default rate limit.
    report_signing_key: str
    report_signing_key_file: str
    report_signing_retired_keys: str
    partner_token_minutes: int
    partner_rate_limit: str
    # The outbox worker.
    outbox_batch: int
    outbox_lease_seconds: int
    outbox_poll_seconds: float
    outbox_max_attempts: int
    outbox_backoff_seconds: int
    outbox_backoff_max_seconds: int
    # Ledger anchors.
    ledger_anchor_file: str
    ledger_signing_key: str
    ledger_signing_key_file: str
    ledger_tsa_url: str
    ledger_tsa_roots: str
    # Staff sign-in: roles that must use a second factor, and how long a staff sign-in lives without a refresh.
    totp_required_roles: tuple[str, ...]
    staff_idle_minutes: int
    # Partners' inbound events and outbound webhooks.
    governance_webhook_secrets: tuple[str, ...]
    integration_rate_limit: str
    webhook_timeout_seconds: int
    # Retention (PIPL, 等保).
    retention_moved_out_years: int
    retention_rejected_months: int
    audit_retention_days: int

    @property
    def wechat_checks_content(self) -> bool:
        """Content security runs only against a real WeChat app (not the demo stand-in)."""
        return bool(self.wechat_app_id) and not self.demo_mode

    @classmethod
    def from_config(cls, config) -> "Settings":
        workers = config.get("CREDIT_RECOMPUTE_WORKERS")
        return cls(
            app_env=config["APP_ENV"],
            demo_mode=bool(config["DEMO_MODE"]),
            secret_key=config["SECRET_KEY"],
            data_encryption_key=config["DATA_ENCRYPTION_KEY"],
            blind_index_key=config["BLIND_INDEX_KEY"],
            access_token_lifetime=config["JWT_ACCESS_TOKEN_EXPIRES"],
            refresh_token_lifetime=config["JWT_REFRESH_TOKEN_EXPIRES"],
            login_failure_limit=config["LOGIN_FAILURE_LIMIT"],
            binding_max_failures=config["BINDING_MAX_FAILURES"],
            binding_lock_minutes=config["BINDING_LOCK_MINUTES"],
            wechat_app_id=config["WECHAT_APP_ID"],
            wechat_app_secret=config["WECHAT_APP_SECRET"],
            wechat_api_base=config["WECHAT_API_BASE"],
            wechat_subscribe_templates=_templates(config["WECHAT_SUBSCRIBE_TEMPLATES"]),
            wechat_callback_token=config["WECHAT_CALLBACK_TOKEN"],
            public_base_url=config.get("PUBLIC_BASE_URL", ""),
            upload_folder=config["UPLOAD_FOLDER"],
            unclaimed_upload_days=config["UNCLAIMED_UPLOAD_DAYS"],
            max_voice_mb=config["MAX_VOICE_MB"],
            max_photo_pixels=config["MAX_PHOTO_PIXELS"],
            photo_duplicate_distance=config["PHOTO_DUPLICATE_DISTANCE"],
            review_second_approval_above=config["REVIEW_SECOND_APPROVAL_ABOVE"],
            pay_code_seconds=config["PAY_CODE_SECONDS"],
            pay_code_rate_limit=config["PAY_CODE_RATE_LIMIT"],
            redemption_void_hours=config["REDEMPTION_VOID_HOURS"],
            order_pending_minutes=config["ORDER_PENDING_MINUTES"],
            idempotency_key_hours=config["IDEMPOTENCY_KEY_HOURS"],
            idempotency_lock_seconds=config["IDEMPOTENCY_LOCK_SECONDS"],
            credit_recompute_workers=max(1, int(workers)) if workers not in (None, "") else None,
            report_signing_key=config["REPORT_SIGNING_KEY"],
            report_signing_key_file=config["REPORT_SIGNING_KEY_FILE"],
            report_signing_retired_keys=config["REPORT_SIGNING_RETIRED_KEYS"],
            partner_token_minutes=int(config["PARTNER_TOKEN_MINUTES"]),
            partner_rate_limit=config["PARTNER_RATE_LIMIT"],
            outbox_batch=config["OUTBOX_BATCH"],
            outbox_lease_seconds=config["OUTBOX_LEASE_SECONDS"],
            outbox_poll_seconds=config["OUTBOX_POLL_SECONDS"],
            outbox_max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
            outbox_backoff_seconds=config["OUTBOX_BACKOFF_SECONDS"],
            outbox_backoff_max_seconds=config["OUTBOX_BACKOFF_MAX_SECONDS"],
            ledger_anchor_file=config["LEDGER_ANCHOR_FILE"],
            ledger_signing_key=config["LEDGER_SIGNING_KEY"],
            ledger_signing_key_file=config["LEDGER_SIGNING_KEY_FILE"],
            ledger_tsa_url=config["LEDGER_TSA_URL"],
            ledger_tsa_roots=config["LEDGER_TSA_ROOTS"],
            totp_required_roles=_words(config["TOTP_REQUIRED_ROLES"]),
            staff_idle_minutes=config["STAFF_IDLE_MINUTES"],
            governance_webhook_secrets=_words(config["GOVERNANCE_WEBHOOK_SECRETS"]),
            integration_rate_limit=config["INTEGRATION_RATE_LIMIT"],
            webhook_timeout_seconds=config["WEBHOOK_TIMEOUT_SECONDS"],
            retention_moved_out_years=config["RETENTION_MOVED_OUT_YEARS"],
            retention_rejected_months=config["RETENTION_REJECTED_MONTHS"],
            audit_retention_days=config["AUDIT_RETENTION_DAYS"],
        )


def _templates(value) -> dict[str, str]:
    """WECHAT_SUBSCRIBE_TEMPLATES: a JSON object (from the environment) or a mapping (from overrides)."""
    return dict(json.loads(value or "{}") if isinstance(value, str) else value)


def _words(value) -> tuple[str, ...]:
    """A list setting written with commas or spaces ("town_admin, admin"), or already a sequence."""
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    return tuple(item for item in items if item)


def install_settings(app: Flask) -> Settings:
    """Build the settings from the app's final config (environment plus overrides) and keep them on the app."""
    settings = app.extensions[EXTENSION_KEY] = Settings.from_config(app.config)
    return settings


def current_settings() -> Settings:
    """The settings of the app in whose context this runs."""
    return current_app.extensions[EXTENSION_KEY]
