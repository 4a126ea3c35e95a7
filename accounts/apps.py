from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and tiers"

    def ready(self) -> None:
        # The OpenAPI auth extension; the receiver that ends sign-ins on password changes.
        from accounts import schema, signals  # noqa: F401
