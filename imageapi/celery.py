"""Celery application; used only when CELERY_BROKER_URL is set."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imageapi.settings")

app = Celery("imageapi")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Task modules: accounts.tasks, images.thumbnails.tasks, webhooks.tasks, uploads.tasks.
app.autodiscover_tasks(["accounts", "images.thumbnails", "webhooks", "uploads"])


def broker_url() -> str:
    """The broker's URL; empty in the embedded mode, where work runs in-process."""
    from django.conf import settings

    return settings.CELERY_BROKER_URL
