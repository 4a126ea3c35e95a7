from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "images"
    verbose_name = "Images and thumbnails"

    def ready(self) -> None:
        from PIL import Image

        from imageapi import limits
        from images import signals  # noqa: F401

        # Pillow's own decompression-bomb guard follows the product's limit, so raising
        # MAX_IMAGE_PIXELS above Pillow's default takes effect, and lowering it tightens both.
        Image.MAX_IMAGE_PIXELS = limits.max_image_pixels()
