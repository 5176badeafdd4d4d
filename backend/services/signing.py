"""The key that signs documents for outsiders (banks' credit reports), and the key set that verifies them.

Kept apart from the ledger's anchor key (backend/services/ledger/anchors.py): a report key lives on the web
servers, the anchor key should not. Rotation: the new key signs, earlier public keys stay in the published set.
"""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from backend.adapters.signing import (
    dev_private_key,
    jwks,
    private_key_from_pem,
    private_key_from_seed_b64,
    public_key_from_b64,
    sign_jws,
)


def report_signing_key() -> Ed25519PrivateKey:
    """REPORT_SIGNING_KEY_FILE, REPORT_SIGNING_KEY, or (development only; production refuses to start) derived."""
    key = current_app.extensions.get("report_signing_key")
    if key is None:
        config = current_app.config
        if config["REPORT_SIGNING_KEY_FILE"]:
            key = private_key_from_pem(config["REPORT_SIGNING_KEY_FILE"])
        elif config["REPORT_SIGNING_KEY"]:
            key = private_key_from_seed_b64(config["REPORT_SIGNING_KEY"])
        else:
            key = dev_private_key(config["SECRET_KEY"], "credit reports v1")
        current_app.extensions["report_signing_key"] = key
    return key


def published_key_set() -> dict:
    """The JWKS at /.well-known/jwks.json: the current report key, then every retired one still trusted."""
    retired = current_app.config["REPORT_SIGNING_RETIRED_KEYS"]
    keys = [public_key_from_b64(item) for item in retired.split(",") if item.strip()]
    return jwks(report_signing_key().public_key(), *keys)


def sign_report(payload: bytes, *, typ: str) -> str:
    return sign_jws(report_signing_key(), payload, typ=typ)
