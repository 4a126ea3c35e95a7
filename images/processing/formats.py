"""The one format table: every format the service reads or writes, and what it becomes.

Each row says whether uploads may be in the format (``source``), whether thumbnails may
be written in it (``output``), and which format a source's thumbnails take when the
client asks for nothing else (``thumbnail``, or ``thumbnail_with_alpha`` when the
decoded image has transparency): a format every browser shows. Everything else here
(the names the Django side uses, the messages that list accepted formats) is derived
from the table, so adding a format is one row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str  # Pillow's name: "JPEG", "PNG", "WEBP", "AVIF", "HEIF", "GIF"
    extension: str  # for stored file names, without the dot
    mime_type: str
    label: str = ""  # what people call it, in messages ("HEIC/HEIF")
    source: bool = False  # uploads may be in this format
    output: bool = False  # thumbnails may be written in it
    # A source's canonical thumbnail format; ``thumbnail_with_alpha`` when the image
    # has transparency and ``thumbnail`` cannot hold it (JPEG).
    thumbnail: str | None = None
    thumbnail_with_alpha: str | None = None

    def thumbnail_format(self, has_alpha: bool) -> str:
        """The canonical thumbnail format of a source in this format."""
        if self.thumbnail is None:
            raise ValueError(f"{self.name} is not a source format")
        if has_alpha and self.thumbnail_with_alpha:
            return self.thumbnail_with_alpha
        return self.thumbnail


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("JPEG", "jpg", "image/jpeg", "JPEG", True, True, "JPEG"),
        Format("PNG", "png", "image/png", "PNG", True, True, "PNG"),
        Format("WEBP", "webp", "image/webp", "WebP", True, True, "WEBP"),
        Format("AVIF", "avif", "image/avif", "AVIF", True, True, "JPEG", "PNG"),
        # HEIC is HEVC in a HEIF container (iPhone photos); the container's MIME type
        # for HEVC-coded stills is image/heic.
        Format("HEIF", "heic", "image/heic", "HEIC/HEIF", True, False, "JPEG", "PNG"),
        # Palettes and transparency survive in PNG; animations give their first frame.
        Format("GIF", "gif", "image/gif", "GIF", True, False, "PNG"),
    )
}
# Uploads are identified from their bytes as one of these; thumbnails may be any output.
# Tuples in the table's order: model choices and messages list them in this order.
SOURCE_FORMATS = tuple(name for name, f in FORMATS.items() if f.source)
OUTPUT_FORMATS = tuple(name for name, f in FORMATS.items() if f.output)
# Every format a canonical thumbnail can be in (what the Accept header is weighed against).
THUMBNAIL_FORMATS = tuple(
    dict.fromkeys(
        fmt
        for f in FORMATS.values()
        if f.source
        for fmt in (f.thumbnail, f.thumbnail_with_alpha)
        if fmt
    )
)
EXTENSIONS = {name: f.extension for name, f in FORMATS.items()}
MIME_TYPES = {name: f.mime_type for name, f in FORMATS.items()}


def spoken_list(names: Iterable[str], last: str = "or") -> str:
    """``["JPEG", "PNG", "WEBP"]`` -> ``"JPEG, PNG or WebP"``: for messages and docs."""
    labels = [FORMATS[name].label for name in names]
    return f"{', '.join(labels[:-1])} {last} {labels[-1]}" if len(labels) > 1 else labels[0]


def accepted_formats(last: str = "and") -> str:
    """The accepted upload formats for messages: "JPEG, PNG, WebP, AVIF, HEIC/HEIF and GIF"."""
    return spoken_list(SOURCE_FORMATS, last)
