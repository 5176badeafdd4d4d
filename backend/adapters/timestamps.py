"""RFC 3161 time stamps from a time-stamping authority, with the rfc3161-client library.

A time stamp is the TSA's signature over a digest of our data and the time it saw it: evidence, from someone other
than the operator, that the signed ledger anchor existed no later than that time.
"""

import base64
import binascii

import requests
from cryptography import x509
from rfc3161_client import (
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)
from rfc3161_client.base import HashAlgorithm

TIMEOUT_SECONDS = 15


class TimestampError(Exception):
    """The TSA could not be reached, refused, or answered something that is not a time stamp of our data."""


def request_timestamp(url: str, data: bytes) -> str:
    """Ask the TSA at `url` to stamp sha256(data); returns its whole response (DER) in base64."""
    request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).build()
    try:
        answer = requests.post(
            url,
            data=request.as_bytes(),
            headers={"Content-Type": "application/timestamp-query"},
            timeout=TIMEOUT_SECONDS,
        )
        answer.raise_for_status()
        response = decode_timestamp_response(answer.content)
    except (requests.RequestException, ValueError) as exc:
        raise TimestampError(f"time-stamping service failed: {exc.__class__.__name__}") from None
    if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampError(f"time-stamping service refused (status {response.status})")
    if response.tst_info.nonce != request.nonce:
        raise TimestampError("time-stamping service answered another request (nonce)")
    return base64.b64encode(answer.content).decode()


def load_roots(pem_path: str) -> list[x509.Certificate]:
    with open(pem_path, "rb") as handle:
        return x509.load_pem_x509_certificates(handle.read())


def timestamp_problem(token_b64: str, data: bytes, roots: list[x509.Certificate]) -> str | None:
    """None when the stored response is a valid time stamp of `data` chaining to `roots`; otherwise why not."""
    try:
        response = decode_timestamp_response(base64.b64decode(token_b64, validate=True))
        VerifierBuilder(roots=list(roots)).build().verify_message(response, data)
    except (binascii.Error, ValueError) as exc:
        return f"unreadable ({exc.__class__.__name__})"
    except VerificationError as exc:
        return f"does not verify ({exc})"
    return None
