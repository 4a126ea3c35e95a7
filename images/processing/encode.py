"""Encoding thumbnails with no metadata at all."""

from __future__ import annotations

import io

from PIL import Image

from images.processing.types import ThumbnailOptions

# zlib level for PNG thumbnails: 6 is zlib's default balance; Pillow's optimize=True
# (an exhaustive level 9 search) costs several times more for a few per cent.
PNG_COMPRESS_LEVEL = 6


def encode(img: Image.Image, fmt: str, options: ThumbnailOptions) -> bytes:
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
        if fmt == "WEBP":
            kwargs = {"quality": options.webp_quality}
        else:
            kwargs = {
                "quality": options.avif_quality,
                "speed": options.avif_speed,
                "max_threads": 1,
            }
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
