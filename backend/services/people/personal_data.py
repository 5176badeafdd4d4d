"""Encryption at rest for ID and phone numbers: cipher text, blind index and masked copy."""

from dataclasses import dataclass
from functools import lru_cache

from backend.adapters.idcard import mask_id_number, mask_phone
from backend.adapters.pii import Keyring, derive_dev_keys, keyring_from_config
from backend.settings import current_settings


@dataclass(frozen=True)
class Protected:
    cipher: bytes
    index: str
    masked: str


def get_keyring() -> Keyring:
    """The app's keyring; development derives keys from SECRET_KEY (production refuses to start without keys)."""
    settings = current_settings()
    return _keyring(settings.data_encryption_key, settings.blind_index_key, settings.secret_key)


@lru_cache(maxsize=4)
def _keyring(data_key: str, index_key: str, secret_key: str) -> Keyring:
    # Built once per distinct set of keys: decoding and key derivation are not free, and every masked read needs it.
    if data_key and index_key:
        return keyring_from_config(data_key, index_key)
    return Keyring(*derive_dev_keys(secret_key))


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
