"""The one format table: every format the service reads or writes, its extension and MIME type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str  # Pillow's name: "JPEG", "PNG", "WEBP", "AVIF"
    extension: str  # for stored file names, without the dot
    mime_type: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("JPEG", "jpg", "image/jpeg"),
        Format("PNG", "png", "image/png"),
        Format("WEBP", "webp", "image/webp"),
        Format("AVIF", "avif", "image/avif"),
    )
}
# Uploads are identified from their bytes as one of these; thumbnails may be any.
SOURCE_FORMATS = frozenset({"JPEG", "PNG"})
OUTPUT_FORMATS = frozenset(FORMATS)
EXTENSIONS = {name: f.extension for name, f in FORMATS.items()}
MIME_TYPES = {name: f.mime_type for name, f in FORMATS.items()}
