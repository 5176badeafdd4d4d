"""Where uploaded files live: an interface with a local-folder default.

A backend stores opaque bytes under a key it chooses and hands out time-limited URLs for them. An
S3-compatible backend would implement the same three methods (`url` returning a presigned GET URL), so the
services never learn where the bytes are.
"""

import hashlib
import hmac
import re
import secrets
from datetime import UTC
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlencode

from backend import clock
from backend.settings import current_settings

# Keys are ours (random hex plus a known suffix), so a key in a URL can never walk out of the folder.
KEY_PATTERN = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|webp|mp3|aac|m4a|silk|amr)$")
MEDIA_PATH = "/api/v1/media/"


class Storage(Protocol):
    def save(self, data: bytes, suffix: str) -> str:
        """Store `data` under a new key ending in `.suffix`; return the key."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes of `key`; FileNotFoundError if there are none."""

    def url(self, key: str, *, expires_in: int) -> str:
        """A URL that serves `key` to anyone holding it, for `expires_in` seconds."""

    def delete(self, key: str) -> None:
        """Remove `key`; nothing happens if it is already gone."""


def epoch_now() -> float:
    """Seconds since the epoch by the app's clock (which tests move)."""
    return clock.now().replace(tzinfo=UTC).timestamp()


def sign_media(key: str, expires: int, secret: str) -> str:
    message = f"{key}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def media_signature_valid(key: str, expires: int, signature: str, secret: str, *, now: float) -> bool:
    """True if `signature` was made by us for `key` and `expires` lies in the future."""
    if expires < now or not KEY_PATTERN.match(key):
        return False
    return hmac.compare_digest(sign_media(key, expires, secret), signature or "")


class LocalFolderStorage:
    """Files in a folder on this machine, served by the app itself through signed URLs."""

    def __init__(self, root: str | Path, *, secret: str, base_url: str = ""):
        self.root = Path(root)
        self.secret = secret
        self.base_url = base_url.rstrip("/")

    def _path(self, key: str) -> Path:
        if not KEY_PATTERN.match(key):
            raise FileNotFoundError(key)
        return self.root / key

    def save(self, data: bytes, suffix: str) -> str:
        name = secrets.token_hex(16)
        key = f"{name[:2]}/{name}.{suffix}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed, so a reader never sees half a file.
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
        return key

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def url(self, key: str, *, expires_in: int) -> str:
        expires = int(epoch_now()) + expires_in
        query = urlencode({"expires": expires, "signature": sign_media(key, expires, self.secret)})
        return f"{self.base_url}{MEDIA_PATH}{key}?{query}"


def get_storage() -> Storage:
    """The storage backend of this app (the local folder of UPLOAD_FOLDER)."""
    settings = current_settings()
    return LocalFolderStorage(settings.upload_folder, secret=settings.secret_key, base_url=settings.public_base_url)
