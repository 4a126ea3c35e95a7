"""Staged uploads: the browser sends the bytes straight to storage, the server validates after.

``POST /api/user/uploads/`` reserves room in the user's quota and hands out an upload
target (a presigned S3 POST, or a signed ``PUT`` URL on this server with local storage);
``POST /api/user/uploads/{id}/complete`` queues the validation, which runs the same
pipeline as a direct upload (:func:`images.services.store_image`); ``GET
/api/user/uploads/{id}/`` tells how it ended. Layers: ``models``, ``services`` (writes),
``selectors`` (reads), ``targets`` (where the bytes go), ``idempotency`` (retried
requests), ``tasks``, ``signals``, ``api/``.
"""
