"""Pure file handling for uploads: decode and clean photos, recognise voice recordings, hash for duplicates.

No Flask and no database: bytes in, cleaned bytes and facts out.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

PHOTO_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
THUMBNAIL_SIZE = (320, 320)


class MediaRejected(ValueError):
    """The bytes are not a photo or voice file we accept; `message` is Chinese and fit for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    suffix: str
    content_type: str
    width: int
    height: int
    thumbnail: bytes
    phash: int


@dataclass(frozen=True)
class Voice:
    suffix: str
    content_type: str


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def looks_like_photo(data: bytes) -> bool:
    """Whether the first bytes claim JPEG, PNG or WebP (the decoder then decides)."""
    return (
        data[:3] == b"\xff\xd8\xff"
        or data[:8] == b"\x89PNG\r\n\x1a\n"
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )


def clean_photo(data: bytes, *, max_pixels: int) -> CleanPhoto:
    """Decode a JPEG/PNG/WebP fully, apply its orientation, and re-encode it without EXIF (GPS) or other metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in PHOTO_FORMATS:
                raise MediaRejected("只接受 JPEG、PNG 或 WebP 格式的照片。")
            if image.width * image.height > max_pixels:
                raise MediaRejected("照片像素过多，请缩小后再上传。")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except MediaRejected:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaRejected("文件不是可识别的照片，或已损坏。") from exc
    suffix, content_type = PHOTO_FORMATS[image.format]
    cleaned = _encode_without_metadata(upright, image.format)
    return CleanPhoto(
        data=cleaned,
        suffix=suffix,
        content_type=content_type,
        width=upright.width,
        height=upright.height,
        thumbnail=_thumbnail(upright),
        phash=photo_hash(upright),
    )


def _encode_without_metadata(image: Image.Image, fmt: str) -> bytes:
    # A fresh image carries pixels only: no EXIF, XMP, ICC comments or PNG text chunks can ride along.
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    bare = Image.new(image.mode, image.size)
    bare.paste(image)
    if image.mode == "P":
        bare.putpalette(image.getpalette())
    out = io.BytesIO()
    if fmt == "JPEG":
        bare.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        bare.save(out, "PNG", optimize=True)
    else:
        bare.save(out, "WEBP", quality=85)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = image.convert("RGB")
    small.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def photo_hash(image: Image.Image) -> int:
    """The 64-bit perceptual hash as a signed integer (what a BIGINT column holds)."""
    import imagehash  # with numpy and SciPy about 15 MB per worker: loaded with the first photo

    value = int(str(imagehash.phash(image)), 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def hash_distance(a: int, b: int) -> int:
    """Hamming distance between two perceptual hashes."""
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


# Voice recordings as the mini-program records them (wx.getRecorderManager) or WeChat stores them.
_M4A_BRANDS = {b"M4A ", b"M4B ", b"mp42", b"isom", b"mp41", b"iso2"}


def sniff_voice(data: bytes) -> Voice | None:
    """Recognise mp3, aac (ADTS), m4a, silk or amr by their magic bytes; None if it is none of them."""
    if data.startswith((b"#!SILK_V3", b"\x02#!SILK_V3")):
        return Voice("silk", "audio/silk")
    if data.startswith((b"#!AMR\n", b"#!AMR-WB\n")):
        return Voice("amr", "audio/amr")
    if data[4:8] == b"ftyp" and data[8:12] in _M4A_BRANDS:
        return Voice("m4a", "audio/mp4")
    if data.startswith(b"ID3"):
        return Voice("mp3", "audio/mpeg")
    if len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        # Frame sync: 11 set bits. Layer bits 00 mean AAC in an ADTS stream; anything else is MPEG audio.
        return Voice("aac", "audio/aac") if data[1] & 0x06 == 0 else Voice("mp3", "audio/mpeg")
    return None
