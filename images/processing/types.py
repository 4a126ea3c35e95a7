"""The values processing takes and gives: limits and options in, facts and thumbnails out."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one image may cost, checked on its header before any pixel is decoded.

    Every field is a plain value the caller passes in (the Django side builds one from
    settings); nothing here reads a process global such as Pillow's MAX_IMAGE_PIXELS.
    """

    max_pixels: int = 50_000_000
    # Estimated peak bytes of one decode: pixel buffers at the decoded size, whole-image
    # JPEG coefficient buffers (progressive and multi-scan files), conversion copies.
    # 256 MiB takes any 8-bit PNG or baseline/4:2:0 JPEG up to 50 MP; it refuses a
    # 50 MP progressive 4:4:4 JPEG (300 MB of coefficients alone).
    max_decode_bytes: int = 256 * MIB
    # Start-of-scan markers in a JPEG. libjpeg's progressive scripts use 6 (grey), 10
    # (YCbCr) and 18 (CMYK) scans, mozjpeg's optimised ones about as many; each scan
    # re-reads the whole coefficient buffer, so the count bounds the decode time.
    max_jpeg_scans: int = 32
    # Marker segments in a JPEG (APPn, COM, DQT, DHT, ...), and chunks in a PNG: real
    # files have tens of segments and, at libpng's 8 KiB per IDAT, ~2,600 chunks in
    # 20 MiB; millions of empty ones only make the parsers loop.
    max_segments: int = 10_000
    # PNG text and ICC chunks, inflated: Pillow refuses one chunk over 1 MiB
    # (PngImagePlugin.MAX_TEXT_CHUNK) and text over 64 MiB in all (MAX_TEXT_MEMORY).
    # Checked here first, so such a file is refused at upload with its own reason.
    max_text_chunk: int = 1 * MIB
    max_text_total: int = 64 * MIB
    # Frames of an animated GIF, WebP or AVIF (and images of a HEIF sequence). Only the
    # first frame is decoded, but the parsers walk every frame's header: real
    # animations have tens to hundreds; ten thousand tiny frames only make them loop.
    max_frames: int = 1_000
    # Tiles of a HEIF/AVIF grid image: libheif decodes each one separately. A 48 MP
    # iPhone photo has 192 tiles of 512x512; 50 MP in 256x256 tiles would be 763.
    max_tiles: int = 1_024

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")


@dataclass(frozen=True)
class ThumbnailOptions:
    """Encoder settings; the Django side builds one from settings."""

    jpeg_quality: int = 85
    jpeg_progressive: bool = True
    jpeg_optimize: bool = True
    webp_quality: int = 80
    avif_quality: int = 60
    # libavif's encoder speed (0 slowest .. 10 fastest). 8 makes a noisy 533x400 AVIF in
    # about 0.3 s on one core (Pillow's default 6: 1.8 s) for files about 5 % larger; one
    # thread, as the number of decodes running at once is bounded by the caller already.
    avif_speed: int = 8
    # Box-reduce before Lanczos: a cheap reduce() brings the image down to no less than
    # reducing_gap times the target, then Lanczos does the rest. Measured on a
    # photo-like 12 MP image against a pure Lanczos resize: 1.5 gives ~39 dB PSNR, 2.0
    # ~44 dB, 3.0 ~45 dB, at the same speed for 1.5 and 2.0 and +40 % for 3.0.
    # (JPEG reduced-size decoding has its own, smaller, margin: DCT_SCALE_GAP.)
    reducing_gap: float = 2.0

    def __post_init__(self) -> None:
        for name in ("jpeg_quality", "webp_quality", "avif_quality"):
            value = getattr(self, name)
            if not 0 <= value <= 100:
                raise ValueError(f"{name} must be between 0 and 100, not {value!r}")
        if not 0 <= self.avif_speed <= 10:
            raise ValueError(f"avif_speed must be between 0 and 10, not {self.avif_speed!r}")
        if not self.reducing_gap >= 1.0:
            raise ValueError(f"reducing_gap must be 1.0 or more, not {self.reducing_gap!r}")


@dataclass(frozen=True)
class ImageInfo:
    format: str  # a source format of the table (formats.py), detected from bytes
    mime_type: str  # the original's, from the format table
    width: int  # as displayed, i.e. after EXIF orientation (irot/imir for HEIF and AVIF)
    height: int
    # The canonical thumbnail format (formats.py): what thumbnails are made in when no
    # other format is asked for. Depends on the source's transparency for HEIF and AVIF.
    thumbnail_format: str = ""


@dataclass(frozen=True)
class RenderedThumbnail:
    requested_height: int
    width: int
    height: int  # actual; never larger than the source (no upscaling)
    format: str  # "JPEG" | "PNG" | "WEBP" | "AVIF"
    mime_type: str
    content: bytes
