"""Bounds on decoding: a few decodes at a time per process, and each thumbnail made once.

A decode holds a core and a pixel buffer for its whole duration, so a burst of them can
exhaust the machine. Two bounds keep the cost fixed whatever the traffic:

* **Decode slots** (:func:`decode_slot`): at most ``MAX_CONCURRENT_DECODES`` decodes run
  at a time in a process; another waits up to ``DECODE_WAIT_SECONDS`` for a slot, then
  is told to come back later (:class:`Unavailable`, 503 with Retry-After).
* **Claims** (:func:`claim`, :func:`release`, :func:`is_claimed`): a thumbnail (image,
  height, format) is made by whoever claims it first, across threads and processes;
  the others wait for its row. A claim is a ``cache.add`` (atomic in the local-memory
  cache and in Redis), so it spans as many processes as the cache does, and it expires
  after ``THUMBNAIL_CLAIM_SECONDS`` should its holder die. When the cache is down,
  claims are granted to everyone: the decode slots still bound the cost.
"""

import contextlib
import logging
import secrets
import threading
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.cache import cache

from imageapi.errors import Unavailable
from imageapi.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)

BUSY = "The server is busy making other images; try again shortly."

_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None
# A token per process: a claim is released only by the process that holds it.
_PROCESS_TOKEN = secrets.token_hex(8)


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    limit = max(1, settings.MAX_CONCURRENT_DECODES)
    with _slots_lock:
        if _slots is None or _slots[0] != limit:  # first use, or the setting changed
            _slots = (limit, threading.BoundedSemaphore(limit))
        return _slots[1]


@contextlib.contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one of the process's decode slots; :class:`Unavailable` if none frees in time."""
    slots = _semaphore()
    if not slots.acquire(timeout=max(0.0, settings.DECODE_WAIT_SECONDS)):
        logger.warning("no decode slot freed within %s s", settings.DECODE_WAIT_SECONDS)
        raise Unavailable(BUSY)
    try:
        yield
    finally:
        slots.release()


def claim_key(image_id: int, height: int, fmt: str) -> str:
    return f"thumbnail-claim:{image_id}:{height}:{fmt}"


def _token() -> str:
    return f"{_PROCESS_TOKEN}:{threading.get_ident()}"


def claim(keys: Iterable[str]) -> list[str]:
    """Claim what nobody else is making; returns the keys now held by this thread."""
    held = []
    token = _token()
    for key in keys:
        try:
            won = cache.add(key, token, timeout=settings.THUMBNAIL_CLAIM_SECONDS)
        except CACHE_ERRORS as exc:
            logger.warning("cache unavailable, making %s without a claim: %s", key, exc)
            won = True
        if won:
            held.append(key)
    return held


def release(keys: Iterable[str]) -> None:
    """Give up claims this thread holds (one that expired and was taken over is left)."""
    token = _token()
    for key in keys:
        try:
            if cache.get(key) == token:
                cache.delete(key)
        except CACHE_ERRORS as exc:
            logger.warning("cache unavailable, %s expires by itself: %s", key, exc)


def is_claimed(key: str) -> bool:
    try:
        return cache.get(key) is not None
    except CACHE_ERRORS:
        return False
