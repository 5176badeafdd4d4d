"""Chinese resident ID numbers (GB 11643-1999) and mainland mobile numbers: normalise, validate, mask."""

import re
import unicodedata
from datetime import date

ID_LENGTH = 18
MALE = "男"
FEMALE = "女"

# ISO 7064 MOD 11-2: weight of position i is 2**(17-i) mod 11.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)
# Excel shows long numbers like "3.30282E+17"; any such text in an ID column is a lost number.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?E[+-]?\d+")
_PHONE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE = re.compile(r"[\s\-().·]")
_PREFIXED_PHONE = re.compile(r"(?:\+?86|0086)(1\d{10})")
# Excel keeps 15 significant digits, so an 18-digit number typed into a number cell is already damaged.
_EXCEL_DIGITS = 15


def normalize_id_number(raw: object) -> str:
    """Return the ID number with ASCII digits, no spaces and an upper-case check letter X."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    # A leading apostrophe is how people force Excel to keep a number as text; it survives CSV export.
    text = "".join(text.split()).lstrip("'`")
    # Normalise again: removing a space can leave a letter next to a combining mark it now composes with.
    return unicodedata.normalize("NFKC", text.replace("x", "X"))


def compute_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _parse_birth(s: str) -> date | None:
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None
    if not _EARLIEST_BIRTH <= born <= date.today():
        return None
    return born


def validate_id_number(s: str) -> str | None:
    """Return a Chinese reason why s is not a valid 18-digit ID number, or None when it is valid."""
    if not s:
        return "缺少身份证号"
    if len(s) != ID_LENGTH:
        return f"身份证号应为 18 位，当前为 {len(s)} 位"
    if not (s[:17].isascii() and s[:17].isdigit() and (s[17] == "X" or (s[17].isascii() and s[17].isdigit()))):
        return "身份证号前 17 位应为数字，最后一位应为数字或 X"
    if _parse_birth(s) is None:
        return "身份证号中的出生日期无效"
    if compute_check_char(s[:17]) != s[17]:
        return "身份证号校验位错误，请核对是否录入有误"
    return None


def _require_valid(s: str) -> None:
    reason = validate_id_number(s)
    if reason is not None:
        raise ValueError(reason)


def id_number_birth_date(s: str) -> date:
    """Return the birth date encoded in a valid ID number; raise ValueError if it is not valid."""
    _require_valid(s)
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def id_number_sex(s: str) -> str:
    """Return "男" or "女" from the 17th digit of a valid ID number (odd means male)."""
    _require_valid(s)
    return MALE if int(s[16]) % 2 else FEMALE


def age_on(s: str, on: date) -> int:
    """Return the age in whole years on the given date of the holder of a valid ID number."""
    born = id_number_birth_date(s)
    had_birthday = (on.month, on.day) >= (born.month, born.day)
    return on.year - born.year - (0 if had_birthday else 1)


def make_id_number(region: str = "330282", birth: date = date(1990, 1, 1), seq: int | str = 1) -> str:
    """Return a valid ID number for the region, birth date and 3-digit sequence (odd sequence means male)."""
    seq_text = f"{int(seq):03d}"
    region_ok = len(region) == 6 and region.isascii() and region.isdigit()
    if not (region_ok and len(seq_text) == 3 and seq_text.isdigit()):
        raise ValueError("region must be 6 digits and seq between 0 and 999")
    first17 = f"{region}{birth:%Y%m%d}{seq_text}"
    return first17 + compute_check_char(first17)


def looks_like_excel_scientific(raw: object) -> bool:
    """Tell whether a cell value is an ID number that Excel stored as a number and so truncated."""
    if isinstance(raw, bool):
        return False
    if isinstance(raw, float):
        # Doubles hold 15-17 significant digits; a 16+ digit integer in a float has lost its tail.
        return raw == raw and abs(raw) >= 10**_EXCEL_DIGITS
    if isinstance(raw, int):
        digits = str(abs(raw))
        return len(digits) > _EXCEL_DIGITS and set(digits[_EXCEL_DIGITS:]) == {"0"}
    if isinstance(raw, str):
        text = "".join(unicodedata.normalize("NFKC", raw).split()).upper()
        return bool(_SCIENTIFIC.fullmatch(text))
    return False


def normalize_phone(raw: object) -> str:
    """Return the phone number without spaces, dashes, brackets, full-width digits or a +86 prefix."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", str(raw)))
    text = unicodedata.normalize("NFKC", text)  # removing a space may let a combining mark compose
    # Strip the country code only before a full mobile number, so normalising twice changes nothing.
    prefixed = _PREFIXED_PHONE.fullmatch(text)
    return prefixed.group(1) if prefixed else text


def validate_phone(s: str) -> str | None:
    """Return a Chinese reason why s is not a mainland mobile number, or None when it is one."""
    if _PHONE.fullmatch(s):
        return None
    return "手机号应为 11 位大陆手机号码（1 开头，第二位为 3-9）"


def mask_id_number(s: str | None) -> str:
    """Return the ID number as 330282********1234; shorter text reveals proportionally less."""
    if not s:
        return ""
    head, tail = (6, 4) if len(s) >= 14 else (len(s) // 3, len(s) // 4)
    return s[:head] + "*" * 8 + (s[-tail:] if tail else "")


def mask_phone(s: str | None) -> str:
    """Return the phone number as 138****5678; shorter text reveals proportionally less."""
    if not s:
        return ""
    head, tail = (3, 4) if len(s) >= 11 else (len(s) // 4, len(s) // 4)
    return s[:head] + "*" * 4 + (s[-tail:] if tail else "")
