from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "images"
    verbose_name = "Images and thumbnails"

    def ready(self) -> None:
        from PIL import Image

        from accounts.tiers import summary
        from imageapi import limits
        from images import processing, signals  # noqa: F401

        # /api/user/me/ names the accepted upload types from the one format table.
        summary.accept_uploads_of(
            lambda: [processing.MIME_TYPES[name] for name in processing.SOURCE_FORMATS]
        )

        # Pillow's own decompression-bomb guard follows the product's limit, so raising
        # MAX_IMAGE_PIXELS above Pillow's default takes effect, and lowering it tightens both.
        Image.MAX_IMAGE_PIXELS = limits.max_image_pixels()
