"""Personal data at rest: AES-GCM encryption with rotatable keys and HMAC blind indexes for exact lookups.

Blob layout: one key-version byte, a 12-byte random nonce, then ciphertext and the 16-byte GCM tag.
The version byte is authenticated as associated data, so it cannot be swapped to pick another key.
"""

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_HEADER_BYTES = 1 + NONCE_BYTES


class DecryptionError(ValueError):
    """A blob that cannot be decrypted: tampered, truncated, or sealed with a key this keyring lacks."""


def _check_key(key: bytes, what: str) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise ValueError(f"{what} must be {KEY_BYTES} bytes")
    return bytes(key)


class Keyring:
    """Encrypts with the current data key, decrypts with any known version, and computes blind indexes."""

    __slots__ = ("_aead", "_index_key", "_version")

    def __init__(
        self,
        data_key: bytes,
        index_key: bytes,
        *,
        key_version: int = 1,
        retired_data_keys: Mapping[int, bytes] | None = None,
    ):
        if not 0 < key_version < 256:
            raise ValueError("key_version must be between 1 and 255")
        retired = dict(retired_data_keys or {})
        if key_version in retired:
            raise ValueError("key_version must differ from every retired key version")
        self._version = key_version
        self._aead = {key_version: AESGCM(_check_key(data_key, "data key"))}
        for version, key in retired.items():
            if not 0 < version < 256:
                raise ValueError("retired key versions must be between 1 and 255")
            self._aead[version] = AESGCM(_check_key(key, f"retired data key {version}"))
        self._index_key = _check_key(index_key, "index key")

    def __repr__(self) -> str:
        # Never show key material, even in a debugger or a log line.
        return f"<Keyring version={self._version} known={sorted(self._aead)}>"

    @property
    def key_version(self) -> int:
        """The version byte that new blobs carry."""
        return self._version

    def encrypt(self, plaintext: str) -> bytes:
        """Seal a string with the current data key and a fresh random nonce."""
        header = bytes([self._version]) + os.urandom(NONCE_BYTES)
        sealed = self._aead[self._version].encrypt(header[1:], plaintext.encode("utf-8"), header[:1])
        return header + sealed

    def decrypt(self, blob: bytes | bytearray | memoryview) -> str:
        """Open a blob made by encrypt (by this or a retired key); raise DecryptionError if it was altered."""
        data = bytes(blob)  # PostgreSQL drivers hand bytea back as memoryview
        if len(data) < _HEADER_BYTES + TAG_BYTES:
            raise DecryptionError("encrypted value is truncated")
        aead = self._aead.get(data[0])
        if aead is None:
            raise DecryptionError(f"encrypted value uses unknown key version {data[0]}")
        try:
            plain = aead.decrypt(data[1:_HEADER_BYTES], data[_HEADER_BYTES:], data[:1])
        except InvalidTag:
            raise DecryptionError(
                "encrypted value failed authentication (tampered, or sealed with another key)"
            ) from None
        return plain.decode("utf-8")

    def needs_rotation(self, blob: bytes | bytearray | memoryview) -> bool:
        """Tell whether a blob was sealed with an older key and should be re-encrypted."""
        return bytes(blob[:1]) != bytes([self._version])

    def blind_index(self, value: str, *, kind: str) -> str:
        """Return a hex HMAC-SHA256 of value, separated by kind so equal values of different kinds differ."""
        if not kind:
            raise ValueError("kind must be a non-empty label such as 'id_number'")
        # Length-prefixing the kind keeps ("ab", "c") and ("a", "bc") apart.
        kind_bytes = kind.encode("utf-8")
        message = len(kind_bytes).to_bytes(2, "big") + kind_bytes + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


def _decode_key_b64(text: str, what: str) -> bytes:
    cleaned = "".join(text.split())
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"{what} must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def keyring_from_config(data_key_b64: str, index_key_b64: str) -> Keyring:
    """Build a keyring from two base64 (standard or URL-safe) 32-byte keys, as kept in the environment."""
    return Keyring(_decode_key_b64(data_key_b64, "data key"), _decode_key_b64(index_key_b64, "index key"))


def new_key_b64() -> str:
    """Return a fresh random 32-byte key in base64, for operators setting up an environment."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def derive_dev_keys(secret: str) -> tuple[bytes, bytes]:
    """Derive (data_key, index_key) from one secret with HKDF; for development and tests only."""
    if not secret:
        raise ValueError("secret must not be empty")

    def derive(info: bytes) -> bytes:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=b"village-credit-dev", info=info)
        return hkdf.derive(secret.encode("utf-8"))

    return derive(b"pii data key v1"), derive(b"pii blind index key v1")
