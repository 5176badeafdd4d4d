"""The key that signs documents for outsiders (banks' credit reports), and the key set that verifies them.

Kept apart from the ledger's anchor key (backend/services/ledger/anchors.py): a report key lives on the web
servers, the anchor key should not. Rotation: the new key signs, earlier public keys stay in the published set.
"""

from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.adapters.signing import (
    dev_private_key,
    jwks,
    private_key_from_pem,
    private_key_from_seed_b64,
    public_key_from_b64,
    sign_jws,
)
from backend.settings import current_settings


def report_signing_key() -> Ed25519PrivateKey:
    """REPORT_SIGNING_KEY_FILE, REPORT_SIGNING_KEY, or (development only; production refuses to start) derived."""
    settings = current_settings()
    return _report_key(settings.report_signing_key_file, settings.report_signing_key, settings.secret_key)


@lru_cache(maxsize=4)
def _report_key(key_file: str, seed: str, secret_key: str) -> Ed25519PrivateKey:
    # Read (a file) or derived once per distinct setting: every report is signed with it.
    if key_file:
        return private_key_from_pem(key_file)
    if seed:
        return private_key_from_seed_b64(seed)
    return dev_private_key(secret_key, "credit reports v1")


def published_key_set() -> dict:
    """The JWKS at /.well-known/jwks.json: the current report key, then every retired one still trusted."""
    retired = current_settings().report_signing_retired_keys
    keys = [public_key_from_b64(item) for item in retired.split(",") if item.strip()]
    return jwks(report_signing_key().public_key(), *keys)


def sign_report(payload: bytes, *, typ: str) -> str:
    return sign_jws(report_signing_key(), payload, typ=typ)
