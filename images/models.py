from django.conf import settings
from django.db import models

from images.processing import FORMATS, OUTPUT_FORMATS, SOURCE_FORMATS


def _choices(names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name, FORMATS[name].label) for name in names]


# What uploads may be, and what thumbnails may be (the canonical format, or a modern one
# on request): both from the one format table.
SOURCE_FORMAT_CHOICES = _choices(SOURCE_FORMATS)
THUMBNAIL_FORMAT_CHOICES = _choices(OUTPUT_FORMATS)


class Image(models.Model):
    """An uploaded original, stored byte for byte under an unguessable key."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    # Random public handle: signed links name images by it, never by the sequential id.
    key = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(max_length=255, editable=False)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=8, choices=SOURCE_FORMAT_CHOICES)
    # The format its thumbnails are made in unless a client asks for another (the
    # table's canonical one: HEIC -> JPEG, or PNG when it has alpha; GIF -> PNG; ...).
    thumbnail_format = models.CharField(max_length=8, choices=THUMBNAIL_FORMAT_CHOICES)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sha256 = models.CharField(max_length=64)
    placeholder = models.CharField(
        max_length=64, blank=True, editable=False, help_text="BlurHash of the smallest thumbnail."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="image_owner_recent")]

    def __str__(self) -> str:
        return f"{self.format} {self.width}x{self.height} ({self.key[:8]})"


class Thumbnail(models.Model):
    """A scaled copy of an image at one of its owner's tier heights, in one format."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="thumbnails")
    height = models.PositiveIntegerField(help_text="The tier height this thumbnail serves.")
    format = models.CharField(max_length=8, choices=THUMBNAIL_FORMAT_CHOICES)
    file = models.FileField(max_length=255, editable=False)
    width = models.PositiveIntegerField()
    actual_height = models.PositiveIntegerField(help_text="Less than height for small originals.")
    size = models.PositiveIntegerField(help_text="Bytes.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["image_id", "height", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "height", "format"], name="thumbnail_unique_per_image_height"
            )
        ]

    def __str__(self) -> str:
        return f"{self.height}px {self.format} of image {self.image_id}"
