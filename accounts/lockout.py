"""The brute-force policy for every form that checks a password (django-axes).

Failures are counted per (username, client address) and, with a higher ceiling, per
client address whatever the usernames. A stranger guessing a user's password locks only
their own address out, never the user everywhere; one address spraying many usernames
hits the ceiling. Counts live in the database, so every process and worker shares them.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from imageapi.error_responses import json_error
from imageapi.errors import RateLimited


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """DRF's throttled shape for every form, HTML or API: 429, ``detail``, Retry-After."""
    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds()) if cool_off else None
    detail = "Too many failed sign-in attempts."
    if seconds:
        detail += f" Try again in {seconds} seconds."
    return json_error(RateLimited(detail, code="locked_out", retry_after=seconds or 1))


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter.

    Axes compares one count (the largest over ``AXES_LOCKOUT_PARAMETERS``) with one
    limit. Here each count is scaled by its own limit first: (username, address) locks at
    ``LOGIN_FAILURE_LIMIT``, the address alone at ``LOGIN_ADDRESS_FAILURE_LIMIT``.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        limit = settings.LOGIN_FAILURE_LIMIT
        limits = (limit, settings.LOGIN_ADDRESS_FAILURE_LIMIT)
        worst = 0
        for attempts, own_limit in zip(
            self.get_user_attempts(request, credentials), limits, strict=True
        ):
            failures = sum(attempts.values_list("failures_since_start", flat=True))
            # failures >= own_limit exactly when this scaled count >= limit.
            worst = max(worst, failures * limit // own_limit)
        return worst

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A success clears that user's failures from that address, not the address's
        others: signing in to one's own account must not reset a spray's count."""
        pair_attempts = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair_attempts.delete()
        return count
