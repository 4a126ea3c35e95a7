"""Keep storage, cached answers and thumbnails in step with the database and the tiers.

The API, the admin (bulk actions included), the shell and cascades from a deleted user
all send these signals. Files are removed only after the deleting transaction commits,
so a rolled-back delete never loses a file; cached answers are forgotten at once and
again at commit, so no request can cache the old state in between.

Cached answers are also forgotten on every event that must end access or change what a
user sees: a DRF token deleted, a JWT sign-in ended, a user saved (password, deactivation,
tier), updated in bulk or deleted, any tier changed. The answer cache serves hits with no
database query, so these stamps are all it has to go by.

When a tier gains heights, or users move to another tier (:mod:`accounts.tiers.signals`),
their images get the thumbnails they now include, in the background where possible.

What happens to images is announced in turn, once it commits, for other apps to follow
(webhooks): ``image_ready``, ``image_deleted`` and ``image_rejected``. Receivers that fail
are logged; they never fail the change.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from rest_framework.authtoken.models import Token

from accounts.models import ActiveLogin, Tier, User
from accounts.tiers.signals import heights_gained, tier_assigned
from accounts.updates import tiers_updated, users_updated
from images import services
from images.api import cache as api_cache
from images.files import storage
from images.models import Image, Thumbnail

logger = logging.getLogger(__name__)

# An image was stored; its thumbnails exist or are scheduled. Arguments: ``image``.
image_ready = Signal()
# An image was deleted. Arguments: ``image_id``, ``image_key``, ``owner_id``.
image_deleted = Signal()
# An upload was refused while it was processed in the background (the direct-upload
# flow sends it; a refused synchronous upload is an error answer instead). Arguments:
# ``owner`` (the user), ``reference`` (the upload's id, a string), ``code`` and ``detail``
# (why, as an error answer would say it).
image_rejected = Signal()


def _announce(signal: Signal, **kwargs) -> None:
    def send() -> None:
        for receiver_, result in signal.send_robust(sender=Image, **kwargs):
            if isinstance(result, Exception):
                logger.error("%s failed", receiver_, exc_info=result)

    transaction.on_commit(send)


def announce_ready(image: Image) -> None:
    """Send ``image_ready`` once the current transaction (if any) commits."""
    _announce(image_ready, image=image)


def announce_rejected(owner, reference: str, code: str, detail: str) -> None:
    """Send ``image_rejected`` once the current transaction (if any) commits."""
    _announce(image_rejected, owner=owner, reference=reference, code=code, detail=detail)


def _forget_answers_on_commit(owner_id: int | None) -> None:
    if owner_id is None:
        return
    api_cache.invalidate_user(owner_id)
    if transaction.get_connection().in_atomic_block:
        # Again at commit: a read between now and then may have cached the old rows.
        transaction.on_commit(lambda: api_cache.invalidate_user(owner_id))


def _owner_of(thumbnail: Thumbnail) -> int | None:
    if Thumbnail.image.is_cached(thumbnail):
        return thumbnail.image.owner_id
    return Image.objects.filter(pk=thumbnail.image_id).values_list("owner_id", flat=True).first()


@receiver(post_save, sender=Image)
def _image_saved(sender, instance: Image, **kwargs) -> None:
    _forget_answers_on_commit(instance.owner_id)


@receiver(post_delete, sender=Image)
def _image_deleted(sender, instance: Image, **kwargs) -> None:
    storage.delete_on_commit(instance.file.name)
    _forget_answers_on_commit(instance.owner_id)
    _announce(
        image_deleted, image_id=instance.pk, image_key=instance.key, owner_id=instance.owner_id
    )


@receiver(post_save, sender=Thumbnail)
def _thumbnail_saved(sender, instance: Thumbnail, created: bool, **kwargs) -> None:
    _forget_answers_on_commit(_owner_of(instance))


@receiver(post_delete, sender=Thumbnail)
def _thumbnail_deleted(sender, instance: Thumbnail, origin=None, **kwargs) -> None:
    storage.delete_on_commit(instance.file.name)
    if isinstance(origin, Thumbnail) or getattr(origin, "model", None) is Thumbnail:
        # Deleted on its own; in a cascade, the image's own signal forgets the answers.
        _forget_answers_on_commit(_owner_of(instance))


@receiver(heights_gained, dispatch_uid="images.backfill_tier")
def _tier_gained_heights(sender, tier, heights, **kwargs) -> None:
    services.backfill_for_tier(tier)


@receiver(tier_assigned, dispatch_uid="images.backfill_users")
def _users_moved(sender, user_ids, **kwargs) -> None:
    services.backfill_for_users(user_ids)


# --- Credentials, users and tiers: what a cached answer was allowed under --------------


@receiver(post_delete, sender=Token, dispatch_uid="images.cache_token_deleted")
@receiver(post_delete, sender=ActiveLogin, dispatch_uid="images.cache_login_ended")
def _credential_ended(sender, instance: Token | ActiveLogin, **kwargs) -> None:
    _forget_answers_on_commit(instance.user_id)


@receiver(post_save, sender=User, dispatch_uid="images.cache_user_saved")
@receiver(post_delete, sender=User, dispatch_uid="images.cache_user_deleted")
def _user_changed(sender, instance: User, **kwargs) -> None:
    _forget_answers_on_commit(instance.pk)


@receiver(users_updated, dispatch_uid="images.cache_users_updated")
def _users_updated(sender, user_ids, **kwargs) -> None:
    for user_id in user_ids:
        _forget_answers_on_commit(user_id)


@receiver(post_save, sender=Tier, dispatch_uid="images.cache_tier_saved")
@receiver(post_delete, sender=Tier, dispatch_uid="images.cache_tier_deleted")
@receiver(tiers_updated, dispatch_uid="images.cache_tiers_updated")
def _tiers_changed(sender, **kwargs) -> None:
    api_cache.invalidate_tiers()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(api_cache.invalidate_tiers)
