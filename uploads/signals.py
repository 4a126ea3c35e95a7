"""What the uploads app announces when a staged upload ends, for other apps to follow.

Both are sent once per upload, after the transaction that ended it commits (a receiver
sees the rows as they are stored), by the process that ended it (a worker, or the
request without a broker). Receivers must not raise: a failing receiver is logged and
does not change how the upload ended.

``upload_ready(sender=Upload, upload=<Upload>, image=<images.models.Image>)``
    The file passed validation and the image exists (``upload.image`` is it too).
``upload_rejected(sender=Upload, upload=<Upload>, code=<str>, message=<str>)``
    The file was refused with the error a direct upload gets (e.g. ``code="too_large"``,
    ``"image_quota"``, ``"size_mismatch"``); nothing was stored, the quota is released.

Expired uploads (never completed) send neither.
"""

from django.dispatch import Signal

upload_ready = Signal()
upload_rejected = Signal()
