"""Pure image processing: validate uploads and render thumbnails.

Bytes and plain values go in; facts (:class:`ImageInfo`) and encoded thumbnails
(:class:`Thumbnail`) come out. Nothing here imports Django, touches storage or reads
settings, so every function is safe to call from a request, a Celery task or a script.

How an upload is handled:

1. Identify and bound, before any pixel is decoded: the format comes from the magic
   bytes (JPEG and PNG only), the dimensions from the file header (the JPEG SOF marker,
   the PNG IHDR chunk), and ``width * height`` is compared with ``max_pixels``.
2. Integrity is checked cheaply: a JPEG is decoded at 1/8 scale (DCT scaling still
   reads every scan, so truncation and broken entropy data are found, but the pixel
   buffer is 64 times smaller); a PNG has every chunk CRC checked and its image data
   stream inflated in small pieces that are thrown away, so no pixel buffer is built.
3. Thumbnails come from ONE decode. A JPEG is decoded with reduced-size (DCT) decoding
   sized for the largest thumbnail (with EXIF orientation taken into account), then
   each height is made with Lanczos resampling, largest first. Orientation is applied
   to the small results (a transpose is lossless, so this equals transposing first),
   colours are converted to sRGB, and the result is encoded with no metadata at all.

Thread safety: nothing here mutates process-global state. Pillow's own decompression
bomb guard (``PIL.Image.MAX_IMAGE_PIXELS``, a process global) is only *read*: the pixel
limit applied is the smaller of ``max_pixels`` and that global, and it is enforced on
the header before Pillow opens the file, so Pillow never gets to warn or raise. Should
it do so anyway (its warning turned into an error by a warnings filter), that is still
reported as :class:`ImageRejected` with code ``too_many_pixels``. The only shared
objects are caches of immutable colour profiles and transforms.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache, partial

from PIL import Image, ImageCms, ImageMath

__all__ = [
    "ImageInfo",
    "ImageRejected",
    "Thumbnail",
    "ThumbnailOptions",
    "inspect",
    "render_thumbnails",
]


class ImageRejected(ValueError):
    """Input is not an acceptable image. str(exc) is a sentence a person can act on."""

    EMPTY = "empty"
    UNSUPPORTED_FORMAT = "unsupported_format"
    CORRUPT = "corrupt"
    TOO_MANY_PIXELS = "too_many_pixels"

    code: str

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self):
        # Picklable (task queues send exceptions across processes) despite the keyword.
        return (partial(type(self), code=self.code), (str(self),))


@dataclass(frozen=True)
class ThumbnailOptions:
    """Encoder and safety settings; the Django side builds one from settings."""

    jpeg_quality: int = 85
    jpeg_progressive: bool = True
    jpeg_optimize: bool = True
    webp_quality: int = 80
    avif_quality: int = 60
    max_pixels: int = 50_000_000
    # Image.resize(reducing_gap=...): a cheap box reduce() brings the image down to no
    # less than reducing_gap times the target, then Lanczos does the rest. Measured on a
    # photo-like 12 MP image against a pure Lanczos resize: 1.5 gives ~39 dB PSNR, 2.0
    # ~44 dB, 3.0 ~45 dB, at the same speed for 1.5 and 2.0 and +40 % for 3.0.
    # (JPEG reduced-size decoding has its own, smaller, margin: DCT_SCALE_GAP.)
    reducing_gap: float = 2.0

    def __post_init__(self) -> None:
        for name in ("jpeg_quality", "webp_quality", "avif_quality"):
            value = getattr(self, name)
            if not 0 <= value <= 100:
                raise ValueError(f"{name} must be between 0 and 100, not {value!r}")
        if self.max_pixels < 1:
            raise ValueError(f"max_pixels must be positive, not {self.max_pixels!r}")
        if not self.reducing_gap >= 1.0:
            raise ValueError(f"reducing_gap must be 1.0 or more, not {self.reducing_gap!r}")


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "JPEG" or "PNG", detected from bytes, never from names
    mime_type: str  # "image/jpeg" / "image/png"
    width: int  # as displayed, i.e. after EXIF orientation
    height: int


@dataclass(frozen=True)
class Thumbnail:
    requested_height: int
    width: int
    height: int  # actual; never larger than the source (no upscaling)
    format: str  # "JPEG" | "PNG" | "WEBP" | "AVIF"
    mime_type: str
    content: bytes


MIME_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
}
OUTPUT_FORMATS = frozenset(MIME_TYPES)

# zlib level for PNG thumbnails: 6 is zlib's default balance; Pillow's optimize=True
# (an exhaustive level 9 search) costs several times more for a few per cent.
PNG_COMPRESS_LEVEL = 6
# JPEG reduced-size (DCT) decoding picks the smallest scale (1/8, 1/4, 1/2, 1) whose
# result is still at least this many times the largest thumbnail. DCT scaling is a real
# low-pass downscale (unlike the box reduce() that reducing_gap is about), so it needs
# less headroom. Measured on a photo-like 4000x3000 JPEG over heights 150-750 against a
# full decode + Lanczos: 1.0 falls to 35 dB (the DCT result alone), 1.5 stays >= 40 dB,
# 2.0 >= 44 dB but decodes a 400 px thumbnail at 1/2 instead of 1/4 scale, ~1.6x slower.
DCT_SCALE_GAP = 1.5
# A smaller thumbnail is made from the previous (larger) result instead of from the
# decoded image when the previous one is at least this many times larger: a second
# Lanczos pass at half the size or less is indistinguishable from a direct one.
CHAIN_MIN_RATIO = 2.0
# Inflate PNG data in pieces of this size when checking integrity (bounded memory).
_INFLATE_PIECE = 256 * 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ORIENTATION_TAG = 0x0112
# EXIF orientation -> the transpose that displays the stored pixels upright.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Orientations whose displayed width is the stored height.
_SWAPS_AXES = frozenset({5, 6, 7, 8})

# Exceptions Pillow, zlib and struct raise for malformed data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)


# --------------------------------------------------------------------------- public API


def inspect(data: bytes, *, max_pixels: int) -> ImageInfo:
    """Validate an upload and describe it, without a full decode.

    Raises :class:`ImageRejected` with code ``empty``, ``unsupported_format`` (anything
    but JPEG and PNG, judged from the bytes), ``too_many_pixels`` (checked on the header,
    before any decoding) or ``corrupt`` (truncated or damaged data).
    """
    header = _read_header(data, max_pixels=max_pixels)
    check = _check_jpeg if header.format == "JPEG" else _check_png
    orientation = check(data, header)
    width, height = header.width, header.height
    if orientation in _SWAPS_AXES:
        width, height = height, width
    return ImageInfo(
        format=header.format, mime_type=MIME_TYPES[header.format], width=width, height=height
    )


def render_thumbnails(
    data: bytes,
    heights: Iterable[int],
    *,
    options: ThumbnailOptions,
    output_format: str | None = None,
) -> list[Thumbnail]:
    """Make one thumbnail per distinct requested height from ONE decode of ``data``.

    ``output_format`` None keeps the source family (JPEG -> JPEG, PNG -> PNG); "WEBP"
    and "AVIF" are available on request. A thumbnail is never taller than the source
    (``requested_height`` records what was asked). The result is ordered by height.
    Raises :class:`ImageRejected` like :func:`inspect` when the data is unacceptable.
    """
    heights = list(heights)
    for h in heights:
        if not isinstance(h, int) or isinstance(h, bool) or h < 1:
            raise ValueError(f"thumbnail heights must be positive integers, not {h!r}")
    wanted = sorted(set(heights))
    if not wanted:
        return []
    if output_format is not None:
        output_format = output_format.upper()
        if output_format not in OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {output_format!r}")

    header = _read_header(data, max_pixels=options.max_pixels)
    fmt = output_format or header.format
    # Not a context manager: closing the file would also free the decoded pixels,
    # and a BytesIO needs no closing.
    try:
        im = Image.open(io.BytesIO(data), formats=[header.format])
        is_jpeg = header.format == "JPEG"
        orientation = _jpeg_orientation(im) if is_jpeg else _png_orientation(data)
        swap = orientation in _SWAPS_AXES
        shown_w, shown_h = (im.height, im.width) if swap else (im.width, im.height)
        plan = _plan_sizes(shown_w, shown_h, wanted)
        # From here on sizes are in stored orientation, (width, height).
        box = None
        if is_jpeg:
            largest = max(plan.values(), key=lambda size: size[1])
            box = _draft(im, _stored(largest, swap))
        im.load()  # the one decode
        icc = im.info.get("icc_profile") or None
        base = _normalise_mode(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels_from_pillow(exc) from exc
    except _DECODE_ERRORS as exc:
        raise _corrupt(header.format) from exc

    sizes = {_stored(size, swap) for size in plan.values()}
    rendered = _resize_all(base, box, sorted(sizes), options.reducing_gap)
    encoded: dict[tuple[int, int], bytes] = {}
    thumbnails = []
    for requested in wanted:
        width, height = plan[requested]
        if (width, height) not in encoded:
            img = rendered[_stored((width, height), swap)]
            if orientation in _TRANSPOSE:
                img = img.transpose(_TRANSPOSE[orientation])
            img = _to_srgb(img, icc)
            encoded[width, height] = _encode(img, fmt, options)
        thumbnails.append(
            Thumbnail(
                requested_height=requested,
                width=width,
                height=height,
                format=fmt,
                mime_type=MIME_TYPES[fmt],
                content=encoded[width, height],
            )
        )
    return thumbnails


# ------------------------------------------------------------- identification, bounds


@dataclass(frozen=True)
class _Header:
    format: str
    width: int
    height: int
    # PNG only: the IHDR fields needed to know how much image data to expect.
    bit_depth: int = 0
    colour_type: int = 0
    interlaced: bool = False


# Signatures of formats we refuse, so the message can say what the file is.
_OTHER_FORMATS = (
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"\x00\x00\x01\x00", "an icon file"),
)


def _read_header(data: bytes, *, max_pixels: int) -> _Header:
    if not data:
        raise ImageRejected(
            "The file is empty. Choose a JPEG or PNG image and upload it again.",
            code=ImageRejected.EMPTY,
        )
    if data.startswith(b"\xff\xd8\xff"):
        header = _jpeg_header(data)
    elif data.startswith(_PNG_SIGNATURE):
        header = _png_header(data)
    else:
        raise ImageRejected(
            f"This file is {_describe_other(data)}; only JPEG and PNG images are accepted "
            "(the content is checked, not the file name). Convert it to JPEG or PNG and "
            "upload it again.",
            code=ImageRejected.UNSUPPORTED_FORMAT,
        )
    _check_pixels(header.width, header.height, max_pixels)
    return header


def _describe_other(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "an AVIF image"
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return "a HEIC/HEIF image"
        return "a video or ISO media file"
    for signature, name in _OTHER_FORMATS:
        if data.startswith(signature):
            return name
    head = data[:512].lstrip()
    if head[:5].lower() == b"<?xml" or b"<svg" in head.lower():
        return "an SVG or XML document"
    return "not a JPEG or PNG image"


def _effective_pixel_limit(max_pixels: int) -> int:
    # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; staying at or
    # below it means Pillow never does either. Read (never written) per call.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit is None:
        return max_pixels
    return min(max_pixels, pillow_limit)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    limit = _effective_pixel_limit(max_pixels)
    pixels = width * height
    if pixels > limit:
        raise ImageRejected(
            f"The image is {width}x{height}, which is {pixels:,} pixels; the limit is "
            f"{limit:,} pixels. Scale it down and upload it again.",
            code=ImageRejected.TOO_MANY_PIXELS,
        )


def _too_many_pixels_from_pillow(exc: Exception) -> ImageRejected:
    limit = Image.MAX_IMAGE_PIXELS or 0
    return ImageRejected(
        f"The image has too many pixels to be processed safely ({exc}); the limit is "
        f"{limit:,} pixels. Scale it down and upload it again.",
        code=ImageRejected.TOO_MANY_PIXELS,
    )


def _corrupt(fmt: str) -> ImageRejected:
    return ImageRejected(
        f"The {fmt} image is truncated or damaged and cannot be read. Check that the file "
        "opens in an image viewer and upload the complete file again.",
        code=ImageRejected.CORRUPT,
    )


# JPEG start-of-frame markers (C4 DHT, C8 JPG and CC DAC are not frames).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_header(data: bytes) -> _Header:
    """Read the frame size from the SOF marker(s) before the first scan."""
    pos, end = 2, len(data)
    largest: tuple[int, int] | None = None
    while True:
        # Markers are 0xFF, any number of 0xFF fill bytes, then the marker code.
        if pos >= end or data[pos] != 0xFF:
            break
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # standalone markers carry no length
        if marker in (0xD9, 0xDA) or pos + 2 > end:
            break  # end of image or start of scan: the header is over
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2:
            break
        if marker in _JPEG_SOF:
            if pos + 7 > end:
                break
            height, width = struct.unpack_from(">HH", data, pos + 3)
            if width == 0 or height == 0:
                break  # no frame size (DNL marker): not something we can bound
            if largest is None or width * height > largest[0] * largest[1]:
                largest = (width, height)
        pos += length
    if largest is None:
        raise _corrupt("JPEG")
    return _Header("JPEG", *largest)


def _png_chunks(data: bytes, *, stop_at_idat: bool = False):
    """Yield (type, offset of data, length) per chunk; stops at IEND or the data's end."""
    pos, end = len(_PNG_SIGNATURE), len(data)
    while pos + 8 <= end:
        length, ctype = struct.unpack_from(">I4s", data, pos)
        start = pos + 8
        if length > 0x7FFFFFFF:
            raise _corrupt("PNG")
        yield ctype, start, length
        if ctype == b"IEND" or (stop_at_idat and ctype == b"IDAT"):
            return
        pos = start + length + 4  # data and CRC


def _png_header(data: bytes) -> _Header:
    chunks = _png_chunks(data, stop_at_idat=True)
    first = next(chunks, None)
    if first is None or first[0] != b"IHDR" or first[2] != 13 or first[1] + 13 > len(data):
        raise _corrupt("PNG")
    width, height, bit_depth, colour_type, _, _, interlace = struct.unpack_from(
        ">IIBBBBB", data, first[1]
    )
    if width == 0 or height == 0 or (colour_type, bit_depth) not in _PNG_VALID_DEPTHS:
        raise _corrupt("PNG")
    # A second IHDR before the image data would make Pillow use that size: bound both.
    for ctype, start, length in chunks:
        if ctype == b"IHDR" and length == 13 and start + 8 <= len(data):
            w2, h2 = struct.unpack_from(">II", data, start)
            if w2 * h2 > width * height:
                width, height = w2, h2
    return _Header("PNG", width, height, bit_depth, colour_type, bool(interlace))


# (colour type, bit depth) pairs allowed by the PNG specification -> samples per pixel.
_PNG_VALID_DEPTHS = {
    **{(0, d): 1 for d in (1, 2, 4, 8, 16)},
    **{(3, d): 1 for d in (1, 2, 4, 8)},
    **{(2, d): 3 for d in (8, 16)},
    **{(4, d): 2 for d in (8, 16)},
    **{(6, d): 4 for d in (8, 16)},
}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2))
_ADAM7 += ((0, 1, 1, 2),)


def _png_raw_size(header: _Header) -> int:
    """Bytes of filtered scanlines the IDAT stream must inflate to."""
    bits = _PNG_VALID_DEPTHS[header.colour_type, header.bit_depth] * header.bit_depth

    def size(width: int, height: int) -> int:
        if width == 0 or height == 0:
            return 0
        return height * (1 + (width * bits + 7) // 8)

    if not header.interlaced:
        return size(header.width, header.height)
    return sum(
        size(
            max(0, math.ceil((header.width - x0) / dx)),
            max(0, math.ceil((header.height - y0) / dy)),
        )
        for x0, y0, dx, dy in _ADAM7
    )


# ------------------------------------------------------------------------- integrity


def _check_jpeg(data: bytes, header: _Header) -> int:
    """Decode at 1/8 scale (reads every scan, tiny buffer); return the EXIF orientation."""
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
            orientation = _jpeg_orientation(im)
            im.draft(None, (1, 1))  # the smallest DCT scale, 1/8
            im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels_from_pillow(exc) from exc
    except _DECODE_ERRORS as exc:
        raise _corrupt("JPEG") from exc
    return orientation


def _check_png(data: bytes, header: _Header) -> int:
    """Check every chunk's CRC and inflate the image data without keeping it.

    Returns the EXIF orientation (from an eXIf chunk, wherever it is).
    """
    expected = _png_raw_size(header)
    inflater = zlib.decompressobj()
    inflated = 0
    exif = None
    seen_end = False
    try:
        for ctype, start, length in _png_chunks(data):
            stop = start + length
            if stop + 4 > len(data):
                break  # truncated inside a chunk
            (crc,) = struct.unpack_from(">I", data, stop)
            chunk = memoryview(data)[start:stop]
            if zlib.crc32(chunk, zlib.crc32(ctype)) != crc:
                raise _corrupt("PNG")
            if ctype == b"IDAT":
                # Fed in slices: unconsumed_tail is a copy, so keep what it can hold small.
                for offset in range(0, length, _INFLATE_PIECE):
                    if inflated >= expected:
                        break
                    pending = chunk[offset : offset + _INFLATE_PIECE]
                    while pending and inflated < expected:
                        inflated += len(inflater.decompress(pending, _INFLATE_PIECE))
                        pending = inflater.unconsumed_tail
            elif ctype == b"eXIf":
                exif = bytes(chunk)
            elif ctype == b"IEND":
                seen_end = True
    except zlib.error as exc:
        raise _corrupt("PNG") from exc
    if not seen_end or inflated < expected:
        raise _corrupt("PNG")
    return _orientation_from_exif(exif)


# ----------------------------------------------------------------------- orientation


def _valid_orientation(value: object) -> int:
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _jpeg_orientation(im: Image.Image) -> int:
    # JPEG EXIF lives in APP1, parsed on open: reading it decodes no pixels.
    try:
        return _valid_orientation(im.getexif().get(_ORIENTATION_TAG))
    except Exception:  # a broken EXIF block must not make an image unreadable
        return 1


def _orientation_from_exif(exif: bytes | None) -> int:
    if not exif:
        return 1
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        return _valid_orientation(parsed.get(_ORIENTATION_TAG))
    except Exception:
        return 1


def _png_orientation(data: bytes) -> int:
    # Pillow's PNG getexif() would decode the image first; a chunk walk does not.
    for ctype, start, length in _png_chunks(data):
        if ctype == b"eXIf":
            return _orientation_from_exif(data[start : start + length])
    return 1


# -------------------------------------------------------------------------- resizing


def _plan_sizes(shown_w: int, shown_h: int, heights: list[int]) -> dict[int, tuple[int, int]]:
    """Requested height -> displayed (width, height): no upscaling, aspect preserved."""
    plan = {}
    for requested in heights:
        height = min(requested, shown_h)
        if height == shown_h:
            width = shown_w
        else:
            width = max(1, math.floor(shown_w * height / shown_h + 0.5))
        plan[requested] = (width, height)
    return plan


def _stored(size: tuple[int, int], swap: bool) -> tuple[int, int]:
    return (size[1], size[0]) if swap else size


def _draft(im: Image.Image, target: tuple[int, int]) -> tuple[float, float, float, float] | None:
    """Ask libjpeg for a DCT-scaled decode at least DCT_SCALE_GAP times the target size.

    Returns the box of the decoded image that maps to the whole source (DCT scaling
    rounds the size up), for the first resize.
    """
    request = (
        min(im.width, math.ceil(target[0] * DCT_SCALE_GAP)),
        min(im.height, math.ceil(target[1] * DCT_SCALE_GAP)),
    )
    result = im.draft(None, request)
    if result is None:
        return None
    return result[1]


def _normalise_mode(im: Image.Image) -> Image.Image:
    """Bring a decoded image into a mode that resamples correctly.

    Result modes: L, LA, RGB, RGBA or CMYK (CMYK becomes RGB after resizing).
    Transparency given by tRNS (palette, grey or RGB key colours) becomes an alpha band.
    """
    mode = im.mode
    transparency = im.info.get("transparency")
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        if transparency is not None and mode in ("RGB", "L"):
            return im.convert(mode + "A" if mode == "L" else "RGBA")
        return im
    if mode == "P":
        has_alpha = transparency is not None or im.palette.mode == "RGBA"
        return im.convert("RGBA" if has_alpha else "RGB")
    if mode == "PA":
        return im.convert("RGBA")
    if mode == "1":
        return im.convert("LA" if transparency is not None else "L")
    if mode.startswith("I"):
        # 16-bit grey: Pillow's I;16 -> L conversion clips; scale 0..65535 to 0..255.
        wide = im.convert("I")
        grey = wide.point(lambda v: v / 257 + 0.5).convert("L")  # rounded
        if transparency is None:
            return grey
        key = transparency
        alpha = ImageMath.lambda_eval(
            lambda a: a["convert"](a["notequal"](a["im"], key) * 255, "L"), im=wide
        )
        return Image.merge("LA", (grey, alpha))
    if mode == "La":
        return im.convert("LA")
    if mode in ("RGBa", "RGBX", "YCbCr"):
        return im.convert("RGBA" if mode == "RGBa" else "RGB")
    return im.convert("RGBA" if "A" in im.getbands() else "RGB")


def _resize_all(
    base: Image.Image,
    box: tuple[float, float, float, float] | None,
    sizes: list[tuple[int, int]],
    gap: float,
) -> dict[tuple[int, int], Image.Image]:
    """Make every size from ``base`` (one decode), largest first.

    A smaller size is made from the previous result when that is at least
    CHAIN_MIN_RATIO times larger (cheaper, and indistinguishable); otherwise from base.
    """
    results: dict[tuple[int, int], Image.Image] = {}
    previous: Image.Image | None = None
    for size in sorted(sizes, key=lambda s: s[0] * s[1], reverse=True):
        if (
            previous is not None
            and min(previous.width / size[0], previous.height / size[1]) >= CHAIN_MIN_RATIO
        ):
            img = previous.resize(size, Image.Resampling.LANCZOS, reducing_gap=gap)
        elif size == base.size and box in (None, (0, 0, *base.size)):
            img = base
        else:
            img = base.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=gap)
        results[size] = img
        previous = img
    return results


# ----------------------------------------------------------------------------- colour


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


# ICC colour space signature -> the image modes it can describe.
_PROFILE_MODES = {"RGB ": ("RGB", "RGBA"), "CMYK": ("CMYK",), "GRAY": ("L", "LA")}


@lru_cache(maxsize=32)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from the embedded profile to sRGB, or None if unusable.

    Sharing one between threads is safe: lcms2 copies its one-pixel cache per call.
    """
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = profile.profile.xcolor_space
        if mode not in _PROFILE_MODES.get(space, ()):
            return None  # a profile that does not fit the pixels is ignored
        out_mode = {"CMYK": "RGB", "L": "RGB", "LA": "RGBA"}.get(mode, mode)
        return ImageCms.buildTransform(
            profile,
            _srgb_profile(),
            mode,
            out_mode,
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert to sRGB (via the embedded ICC profile when there is a usable one).

    Returns L, LA, RGB or RGBA. Grey stays grey: a grey profile is applied through
    sRGB and the (neutral) result brought back to one band.
    """
    transform = _transform(icc, img.mode) if icc else None
    if transform is not None:
        converted = transform.apply(img)
        if img.mode == "L":
            converted = converted.convert("L")
        elif img.mode == "LA":
            converted = Image.merge("LA", (converted.convert("L"), img.getchannel("A")))
        img = converted
    if img.mode == "CMYK":
        img = img.convert("RGB")
    return img


# --------------------------------------------------------------------------- encoding


def _encode(img: Image.Image, fmt: str, options: ThumbnailOptions) -> bytes:
    """Encode with no metadata: no EXIF, GPS, XMP, comment, text chunks or ICC profile."""
    has_alpha = img.mode in ("LA", "RGBA")
    if fmt == "JPEG":
        if has_alpha:  # only on explicit request: JPEG has no alpha, so flatten on white
            img = _flatten(img)
        kwargs = {
            "quality": options.jpeg_quality,
            "optimize": options.jpeg_optimize,
            "progressive": options.jpeg_progressive,
        }
    elif fmt == "PNG":
        kwargs = {"optimize": False, "compress_level": PNG_COMPRESS_LEVEL}
    else:
        # WebP and AVIF have no grey modes.
        if img.mode in ("L", "LA"):
            img = img.convert("RGBA" if has_alpha else "RGB")
        quality = options.webp_quality if fmt == "WEBP" else options.avif_quality
        kwargs = {"quality": quality}
    # Pillow carries comments, ICC profiles and EXIF over from .info for some formats;
    # every image reaching here is this call's own object, so clearing it is safe.
    img.info = {}
    out = io.BytesIO()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def _flatten(img: Image.Image) -> Image.Image:
    grey = img.mode == "LA"
    rgba = img.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(background, rgba).convert("RGB")
    return flat.convert("L") if grey else flat
