"""Finds ID numbers and mobile numbers that were not masked, in text the suite saw."""

import re

from backend.adapters.idcard import validate_id_number

# Bounded by non-alphanumerics, so digit runs inside hashes and tokens are not mistaken for numbers.
_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")


def find_unmasked_numbers(texts: list[str]) -> list[str]:
    """Every valid-looking ID number (checksum and birth date pass) or mobile number in `texts`."""
    leaks = []
    for chunk in texts:
        leaks += [m for m in _ID.findall(chunk) if validate_id_number(m.upper()) is None]
        leaks += _PHONE.findall(chunk)
    return leaks
