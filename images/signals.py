"""Keep storage and thumbnails in step with the database.

Files are removed only after the deleting transaction commits, whichever way the rows
went (API, admin bulk action, cascade from a deleted user), so a rolled-back delete
never loses a file.
"""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.models import Tier, User
from images import tasks
from images.models import Image, Thumbnail


def _delete_file_on_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


@receiver(post_delete, sender=Image)
def _image_deleted(sender, instance: Image, **kwargs) -> None:
    _delete_file_on_commit(instance.file.name)


@receiver(post_delete, sender=Thumbnail)
def _thumbnail_deleted(sender, instance: Thumbnail, **kwargs) -> None:
    _delete_file_on_commit(instance.file.name)


@receiver(pre_save, sender=Tier)
def _remember_tier_heights(sender, instance: Tier, **kwargs) -> None:
    previous = Tier.objects.filter(pk=instance.pk).values_list("thumbnail_heights", flat=True)
    instance._previous_heights = set(previous[0]) if instance.pk and previous else set()


@receiver(post_save, sender=Tier)
def _tier_saved(sender, instance: Tier, created: bool, **kwargs) -> None:
    if set(instance.thumbnail_heights) - getattr(instance, "_previous_heights", set()):
        users = instance.users.filter(images__isnull=False).distinct()
        tasks.schedule_backfill(list(users.values_list("pk", flat=True)))


@receiver(pre_save, sender=User)
def _remember_user_tier(sender, instance: User, update_fields=None, **kwargs) -> None:
    if update_fields is not None and "tier" not in update_fields:
        instance._previous_tier_id = None  # e.g. last_login updates: no tier change
        return
    previous = User.objects.filter(pk=instance.pk).values_list("tier_id", flat=True)
    instance._previous_tier_id = previous[0] if instance.pk and previous else None


@receiver(post_save, sender=User)
def _user_saved(sender, instance: User, created: bool, **kwargs) -> None:
    previous = getattr(instance, "_previous_tier_id", None)
    if not created and previous is not None and previous != instance.tier_id:
        tasks.schedule_backfill([instance.pk])
