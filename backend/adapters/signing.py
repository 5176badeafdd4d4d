"""Ed25519 keys for signatures that must be checkable outside the database (ledger anchors, banks' reports).

The private key comes from the environment (base64 of its 32-byte seed) or a PEM file; never from the database,
so that someone who can write the database cannot also sign what they wrote. Documents for outsiders are compact
JWS; the public keys that verify them are published as a JSON Web Key Set, each named by its RFC 7638 thumbprint.
"""

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

SEED_BYTES = 32
# RFC 9864's fully specified name; the older polymorphic "EdDSA" (RFC 8037) is deprecated by it.
JWS_ALGORITHM = "Ed25519"


class SigningKeyError(ValueError):
    """A key that cannot be read: missing file, bad PEM, not Ed25519, or a seed of the wrong length."""


class SignatureInvalid(ValueError):
    """A JWS that does not verify against any published key, or is not a JWS at all."""


def private_key_from_seed_b64(seed_b64: str) -> Ed25519PrivateKey:
    try:
        seed = base64.b64decode(seed_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SigningKeyError("the signing key is not valid base64") from None
    if len(seed) != SEED_BYTES:
        raise SigningKeyError(f"the signing key must decode to {SEED_BYTES} bytes, got {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key_from_pem(path: str | Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"cannot read the signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 private key")
    return key


def public_key_from_pem(path: str | Path) -> Ed25519PublicKey:
    """A public key file (PEM), or the public half of a private key file."""
    data = Path(path).read_bytes() if Path(path).is_file() else b""
    if b"PRIVATE KEY" in data:
        return private_key_from_pem(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"cannot read the public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path} is not an Ed25519 public key")
    return key


def dev_private_key(secret: str, purpose: str) -> Ed25519PrivateKey:
    """A key derived from the development secret with HKDF; development and tests only."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=SEED_BYTES, salt=b"village-credit-dev", info=purpose.encode())
    return Ed25519PrivateKey.from_private_bytes(hkdf.derive(secret.encode()))


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: the first 16 hex digits of sha256 over its raw bytes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def write_new_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Create a fresh key as an unencrypted PKCS#8 PEM file readable by its owner only; never overwrite one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def public_key_from_b64(raw_b64: str) -> Ed25519PublicKey:
    """A public key given as base64 of its 32 raw bytes (how retired keys are listed in the environment)."""
    try:
        raw = base64.b64decode(raw_b64.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise SigningKeyError("a public key must be base64 of 32 bytes") from None


def _okp(key: Ed25519PrivateKey | Ed25519PublicKey) -> OKPKey:
    if isinstance(key, Ed25519PrivateKey):
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    else:
        pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    okp = OKPKey.import_key(pem)
    okp.ensure_kid()  # RFC 7638 thumbprint
    return okp


def jwks(*public_keys: Ed25519PublicKey) -> dict:
    """A JSON Web Key Set of public keys (current first), to publish."""
    return {"keys": [{**_okp(key).as_dict(private=False), "use": "sig", "alg": JWS_ALGORITHM} for key in public_keys]}


def sign_jws(private_key: Ed25519PrivateKey, payload: bytes, *, typ: str) -> str:
    """A compact JWS over `payload`; its header names the algorithm, the key (thumbprint) and the document type."""
    okp = _okp(private_key)
    header = {"alg": JWS_ALGORITHM, "kid": okp.kid, "typ": typ}
    return jws.serialize_compact(header, payload, okp, algorithms=[JWS_ALGORITHM])


def verify_jws(token: str, key_set: dict) -> tuple[dict, bytes]:
    """Check a compact JWS against a published key set only; (header, payload), or SignatureInvalid."""
    try:
        found = jws.deserialize_compact(token, KeySet.import_key_set(key_set), algorithms=[JWS_ALGORITHM])
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise SignatureInvalid(str(error)) from None
    return dict(found.headers()), found.payload
