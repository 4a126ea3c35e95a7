"""Serving media behind signed links.

``grants`` turns a link into the file it grants now: the signature is checked first (no
query for a forged link), then the owner's tier *now* decides whether the link still
grants anything. ``transfer`` sends the bytes in the way ``MEDIA_DELIVERY`` chose at
startup: streamed by the app, handed to nginx with X-Accel-Redirect, or a redirect to a
short-lived presigned storage URL. ``views`` holds the one view and its HTTP caching.
"""
