from django.conf import settings
from django.db import models

from images.processing.formats import FORMATS

# What uploads may be: the source formats of the one format table.
SourceFormat = models.TextChoices(
    "SourceFormat", [(name, (name, f.label)) for name, f in FORMATS.items() if f.source]
)


class ImageFormat(models.TextChoices):
    """What thumbnails may be: the source's format, or a modern one on request."""

    JPEG = "JPEG", "JPEG"
    PNG = "PNG", "PNG"
    WEBP = "WEBP", "WebP"
    AVIF = "AVIF", "AVIF"


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
    format = models.CharField(max_length=8, choices=SourceFormat.choices)
    # The format its thumbnails are made in unless a client asks for another (the
    # table's canonical one: HEIC -> JPEG, or PNG when it has alpha; GIF -> PNG; ...).
    thumbnail_format = models.CharField(max_length=8, choices=ImageFormat.choices)
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
    format = models.CharField(max_length=8, choices=ImageFormat.choices)
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
