"""Scheduled housekeeping (Celery beat in the scaled-out setup; cron in the embedded one)."""

from celery import shared_task

from accounts.services import flush_expired_logins
from accounts.tiers.quotas import forget_old_uploads


@shared_task(name="accounts.flush_expired_tokens", ignore_result=True)
def flush_expired_tokens() -> int:
    """Delete sign-ins, refresh-token rows and upload records that no longer count."""
    return flush_expired_logins() + forget_old_uploads()
