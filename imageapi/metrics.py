"""Prometheus metrics for operators, served at /metrics to allowed readers only.

Requests by view and status with latency histograms come from django-prometheus's
middleware; cache gets, hits and misses from ``imageapi.redis_cache``; the rest is here.
With several server processes, set PROMETHEUS_MULTIPROC_DIR (see the README).
"""

import hmac
import logging
import time
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from imageapi.celery import broker_url
from imageapi.client_address import client_ip
from imageapi.error_responses import json_error
from imageapi.errors import NotFound
from imageapi.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)

uploads = Counter(
    "imageapi_uploads_total",
    "Image uploads, by outcome (accepted, refused) and refusal reason.",
    ["outcome", "reason"],
)
thumbnails_made = Counter(
    "imageapi_thumbnails_made_total", "Thumbnails rendered and stored, by format.", ["format"]
)
thumbnail_render_seconds = Histogram(
    "imageapi_thumbnail_render_seconds",
    "Time to render one image's missing thumbnails (one decode, all heights).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


@contextmanager
def rendering(fmt: str):
    """Time a render and count the thumbnails it made: ``with rendering(fmt) as made:``."""
    made: list = []
    started = time.perf_counter()
    yield made
    thumbnail_render_seconds.observe(time.perf_counter() - started)
    thumbnails_made.labels(format=fmt).inc(len(made))


class UploadOutcomeMiddleware:
    """Counts uploads by what the API answered, whichever layer refused them."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if request.method == "POST" and match is not None and match.url_name == "image-list":
            uploads.labels(*_outcome(response)).inc()
        return response


def _outcome(response: HttpResponse) -> tuple[str, str]:
    if response.status_code == 201:
        return "accepted", ""
    if response.status_code == 413:
        return "refused", "too_large"
    data = getattr(response, "data", None)
    if response.status_code == 400 and isinstance(data, dict):
        errors = data.get("image")
        if isinstance(errors, list) and errors:
            return "refused", str(getattr(errors[0], "code", "invalid"))[:32]
        return "refused", "invalid"
    return "refused", f"http_{response.status_code}"


class QueueDepthCollector:
    """Tasks waiting in the Celery queue, read from the Redis broker at scrape time."""

    def collect(self):
        url = broker_url()
        if not url or not url.startswith(("redis://", "rediss://")):
            return
        import redis

        try:
            client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
            depth = client.llen("celery")
        except CACHE_ERRORS as exc:  # the broker is a Redis server too
            logger.warning("queue depth unavailable: %s", exc)
            return
        gauge = GaugeMetricFamily(
            "imageapi_task_queue_depth", "Tasks waiting in the Celery queue.", labels=["queue"]
        )
        gauge.add_metric(["celery"], depth)
        yield gauge


REGISTRY.register(QueueDepthCollector())


def _may_read(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    return client_ip(request) in settings.METRICS_ALLOWED_IPS


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format for allowed readers; a plain 404 for everyone else."""
    if not _may_read(request):
        return json_error(NotFound("Not found."))
    return ExportToDjangoView(request)
