"""Encryption at rest for ID and phone numbers: cipher text, blind index and masked copy."""

from dataclasses import dataclass

from flask import current_app

from backend.adapters.idcard import mask_id_number, mask_phone
from backend.adapters.pii import Keyring, derive_dev_keys, keyring_from_config


@dataclass(frozen=True)
class Protected:
    cipher: bytes
    index: str
    masked: str


def get_keyring() -> Keyring:
    """The app's keyring; development derives keys from SECRET_KEY (production refuses to start without keys)."""
    keyring = current_app.extensions.get("keyring")
    if keyring is None:
        config = current_app.config
        if config["DATA_ENCRYPTION_KEY"] and config["BLIND_INDEX_KEY"]:
            keyring = keyring_from_config(config["DATA_ENCRYPTION_KEY"], config["BLIND_INDEX_KEY"])
        else:
            keyring = Keyring(*derive_dev_keys(config["SECRET_KEY"]))
        current_app.extensions["keyring"] = keyring
    return keyring


def protect_id_number(id_number: str) -> Protected:
    keyring = get_keyring()
    return Protected(
        keyring.encrypt(id_number),
        keyring.blind_index(id_number, kind="id_number"),
        mask_id_number(id_number),
    )


def protect_phone(phone: str) -> Protected:
    keyring = get_keyring()
    return Protected(keyring.encrypt(phone), keyring.blind_index(phone, kind="phone"), mask_phone(phone))


def id_number_index(id_number: str) -> str:
    return get_keyring().blind_index(id_number, kind="id_number")


def reveal(cipher: bytes) -> str:
    return get_keyring().decrypt(cipher)
