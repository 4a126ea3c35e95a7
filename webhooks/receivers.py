"""Which signals of other apps become which webhook events (images never imports webhooks).

=====================================  ==================  ================================
signal                                 event               arguments it must carry
=====================================  ==================  ================================
``images.signals.image_ready``         ``image.ready``     ``image``
``images.signals.image_deleted``       ``image.deleted``   ``image_id``, ``image_key``,
                                                           ``owner_id``
``images.signals.image_rejected``      ``image.rejected``  ``owner``, ``reference``,
                                                           ``code``, ``detail``
``uploads.signals.upload_ready``       ``image.ready``     ``image``
``uploads.signals.upload_rejected``    ``image.rejected``  as ``image_rejected``
=====================================  ==================  ================================

The ``uploads`` rows are connected only when that app is installed. All are sent after
the change commits. An image announced as ready twice (by ``images`` and ``uploads``)
is delivered once: the event id is derived from the image (see ``services.event_id``).
"""

import importlib
from collections.abc import Callable

from django.apps import apps
from django.dispatch import Signal

from accounts.models import User
from accounts.tiers import entitlements
from images.api.serializers import Answers
from images.models import Image
from images.selectors import image_row
from webhooks import conf, selectors, services
from webhooks.models import IMAGE_DELETED, IMAGE_READY, IMAGE_REJECTED


def _owner(user: User) -> dict:
    return {"id": user.pk, "username": user.get_username()}


def on_image_ready(sender, image: Image, **kwargs) -> None:
    # Endpoints first: an owner without any (most) costs one query per upload.
    endpoints = selectors.subscribed_endpoints(image.owner_id, IMAGE_READY)
    if not endpoints:
        return
    row = image_row(image.pk)
    if row is None:
        return  # deleted before it could be announced
    owner = image.owner
    answer = Answers(None, entitlements(owner), base_url=conf.public_base_url()).image(row)
    data = {"image": answer, "owner": _owner(owner)}
    services.emit(IMAGE_READY, owner.pk, image.key, data, endpoints=endpoints)


def on_image_deleted(sender, image_id: int, image_key: str, owner_id: int, **kwargs) -> None:
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        return  # deleted with its owner, whose endpoints went too
    data = {"image": {"id": image_id}, "owner": _owner(owner)}
    services.emit(IMAGE_DELETED, owner_id, image_key, data)


def on_image_rejected(sender, owner: User, reference: str, code: str, detail: str, **kw) -> None:
    data = {
        "upload": {"id": str(reference)},
        "error": {"code": code, "detail": detail},
        "owner": _owner(owner),
    }
    services.emit(IMAGE_REJECTED, owner.pk, str(reference), data)


# (app, module, signal name, receiver)
SIGNALS: list[tuple[str, str, str, Callable]] = [
    ("images", "images.signals", "image_ready", on_image_ready),
    ("images", "images.signals", "image_deleted", on_image_deleted),
    ("images", "images.signals", "image_rejected", on_image_rejected),
    ("uploads", "uploads.signals", "upload_ready", on_image_ready),
    ("uploads", "uploads.signals", "upload_rejected", on_image_rejected),
]


def connect() -> list[str]:
    """Connect every row whose app is installed; returns the signals connected."""
    connected = []
    for app, module, name, receiver in SIGNALS:
        if not apps.is_installed(app):
            continue
        signal: Signal = getattr(importlib.import_module(module), name)
        signal.connect(receiver, dispatch_uid=f"webhooks.{module}.{name}")
        connected.append(f"{module}.{name}")
    return connected
