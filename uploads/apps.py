from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Staged uploads"

    def ready(self) -> None:
        from images.files import orphans
        from uploads import selectors

        # cleanup_storage also searches the staging prefix: staged files of uploads no
        # longer pending or processing (rejected, expired, or sent to a used key) go.
        orphans.register_prefix("staging", selectors.claimed_staging_keys)
