"""The one format table: every format the service reads or writes, its extension and MIME type.

Every other list of formats (model choices, serializer choices, Accept negotiation, the
upload field's description, error messages, settings checks) is derived from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str  # Pillow's name: "JPEG", "PNG", "WEBP", "AVIF"
    extension: str  # for stored file names, without the dot
    mime_type: str
    label: str = ""  # how people write it, where that differs from ``name`` ("WebP")

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("JPEG", "jpg", "image/jpeg"),
        Format("PNG", "png", "image/png"),
        Format("WEBP", "webp", "image/webp", "WebP"),
        Format("AVIF", "avif", "image/avif"),
    )
}
# Uploads are identified from their bytes as one of these; thumbnails may be any.
SOURCE_FORMATS = ("JPEG", "PNG")
OUTPUT_FORMATS = tuple(FORMATS)
EXTENSIONS = {name: f.extension for name, f in FORMATS.items()}
MIME_TYPES = {name: f.mime_type for name, f in FORMATS.items()}


def spoken_list(names: Iterable[str]) -> str:
    """``["JPEG", "PNG", "WEBP"]`` -> ``"JPEG, PNG or WebP"``: for messages and docs."""
    labels = [FORMATS[name].label for name in names]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def by_mime_type(mime_type: str) -> Format | None:
    return next((f for f in FORMATS.values() if f.mime_type == mime_type), None)
