"""Scheduled housekeeping (Celery beat in the scaled-out setup; cron in the embedded one)."""

from celery import shared_task

from accounts.services import flush_expired_logins


@shared_task(name="accounts.flush_expired_tokens", ignore_result=True)
def flush_expired_tokens() -> int:
    """Delete sign-ins and refresh-token rows past their expiry; they only take space."""
    return flush_expired_logins()
