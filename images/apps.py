from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "images"
    verbose_name = "Images and thumbnails"

    def ready(self) -> None:
        from images import signals  # noqa: F401
