import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from accounts.tiers import BUILTIN_TIERS, DEFAULT_TIER, normalize_heights, validate_heights
from accounts.updates import tiers_updated, users_updated
from imageapi import limits


class TierQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        ids = list(self.values_list("pk", flat=True))
        changed = super().update(**kwargs)
        tiers_updated.send(sender=Tier, tier_ids=ids)
        return changed


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        ids = list(self.values_list("pk", flat=True))
        changed = super().update(**kwargs)
        users_updated.send(sender=User, user_ids=ids)
        return changed


class Users(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    """Django's user manager, with updates that announce themselves."""


class Tier(models.Model):
    """What an account gets (thumbnail heights, the original link, expiring links) and
    how much it may store and upload (each limit empty = unlimited)."""

    name = models.CharField(max_length=64, unique=True)
    thumbnail_heights = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_heights],
        help_text="Heights in pixels of the thumbnails this tier's users get.",
    )
    original_link = models.BooleanField(
        default=False, help_text="Users see a link to the originally uploaded file."
    )
    expiring_links = models.BooleanField(
        default=False, help_text="Users can create links to the original that expire."
    )

    max_images = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Images a user may keep stored. Empty: unlimited.",
    )
    max_bytes = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        verbose_name="max bytes",
        help_text="Total bytes of originals a user may keep stored. Empty: unlimited.",
    )
    uploads_per_hour = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Uploads a user may make in any 60 minutes. Empty: unlimited.",
    )
    max_megapixels = models.DecimalField(
        null=True,
        blank=True,
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=(
            "Largest upload in megapixels, below the server-wide MAX_IMAGE_PIXELS. "
            "Empty: the server-wide limit."
        ),
    )

    objects = TierQuerySet.as_manager()

    # What a tier includes, and the optional limits on what its users store and upload.
    FEATURE_FIELDS = ("thumbnail_heights", "original_link", "expiring_links")
    LIMIT_FIELDS = ("max_images", "max_bytes", "uploads_per_hour", "max_megapixels")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.thumbnail_heights = normalize_heights(self.thumbnail_heights)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if not self.thumbnail_heights and not self.original_link:
            # Its users' uploads would be stored, counted and never shown to anyone.
            raise ValidationError(
                {
                    "thumbnail_heights": "A tier needs at least one thumbnail height, or the "
                    "original link: otherwise its users upload images they can never see."
                }
            )
        ceiling = Decimal(limits.max_image_pixels()) / 1_000_000
        if self.max_megapixels is not None and self.max_megapixels > ceiling:
            raise ValidationError(
                {
                    "max_megapixels": f"{self.max_megapixels} megapixels is over the "
                    f"server-wide limit of {ceiling:g} (MAX_IMAGE_PIXELS); leave it empty "
                    "to use that limit."
                }
            )


def default_tier() -> Tier:
    """The tier a user gets when none is chosen (recreated if an admin removed it)."""
    spec = next(spec for spec in BUILTIN_TIERS if spec["name"] == DEFAULT_TIER)
    defaults = {key: value for key, value in spec.items() if key != "name"}
    tier, _ = Tier.objects.get_or_create(name=DEFAULT_TIER, defaults=defaults)
    return tier


class User(AbstractUser):
    objects = Users()

    tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        blank=True,
        related_name="users",
        help_text=f"Decides which thumbnails and links the user gets. Empty means {DEFAULT_TIER}.",
    )

    def save(self, *args, **kwargs) -> None:
        # Filled here rather than as a field default, so that building a User in memory
        # never touches the database.
        if self.tier_id is None:
            self.tier = default_tier()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "tier"}
        super().save(*args, **kwargs)


class UploadRecord(models.Model):
    """One accepted upload, kept for an hour: the log ``uploads_per_hour`` counts.

    A log rather than a count of images, so deleting images does not give uploads back.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="upload_records")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "at"], name="upload_record_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class ActiveLogin(models.Model):
    """One JWT sign-in (a ``jwt-login`` and every refresh after it), while it lasts.

    Every access and refresh token of the login carries its id (the ``login`` claim), and
    a token counts only while its row exists: logout deletes the row, so every access
    token the login ever issued stops at once; a password change or deactivation deletes
    all of the user's rows. Rows past ``expires_at`` are flushed on a schedule.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="active_logins")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the login's latest refresh token expires; refreshing moves it on.
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.user_id}:{self.pk}"
