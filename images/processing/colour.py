"""Colour: embedded ICC profiles and CMYK converted to sRGB."""

from __future__ import annotations

import io
from functools import cache, lru_cache

from PIL import Image, ImageCms


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


def to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
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
