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
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from imageapi.error_responses import json_error
from imageapi.errors import RateLimited


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """429 with Retry-After: an HTML page for the people's login forms (the admin's, the
    browsable API's), DRF's JSON shape (``detail``) for the API's endpoints."""
    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds()) if cool_off else None
    detail = "Too many failed sign-in attempts."
    if seconds:
        detail += f" Try again in {seconds} seconds."
    refusal = RateLimited(detail, code="locked_out", retry_after=seconds or 1)
    login_url = html_login_form(request)
    if login_url is None:
        return json_error(refusal)
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed sign-in attempts",
        "detail": detail,
        "login_url": login_url,
    }
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    response["Cache-Control"] = "no-store"
    return response


def html_login_form(request: HttpRequest) -> str | None:
    """The URL of the HTML login form this request was posted to; None for the API."""
    forms = (reverse("admin:login"), reverse("rest_framework:login"))
    return request.get_full_path() if request.path in forms else None


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
