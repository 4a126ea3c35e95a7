"""Metrics at /metrics for allowed readers; JSON log lines with a request id."""

import json
import logging
import logging.config

import pytest
import redis
from django.test import Client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from imageapi import redis_cache
from tests.conftest import image_bytes
from tests.platform.conftest import import_settings


def scrape(client=None, **extra) -> dict[tuple, float]:
    response = (client or Client()).get("/metrics", **extra)
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


class TestAccess:
    def test_loopback_reads_metrics(self, db):
        response = Client().get("/metrics")

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        assert b"imageapi_uploads_total" in response.content

    def test_other_addresses_get_a_plain_404(self, db):
        response = Client(REMOTE_ADDR="203.0.113.5").get("/metrics")

        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}

    def test_a_forwarded_loopback_address_is_not_believed(self, db, settings):
        settings.NUM_PROXIES = 1
        response = Client(REMOTE_ADDR="10.0.0.2").get(
            "/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.5"
        )

        assert response.status_code == 404

    def test_the_metrics_token_lets_any_address_read(self, db, settings):
        settings.METRICS_TOKEN = "s3cret-scraper-token"
        remote = Client(REMOTE_ADDR="203.0.113.5")

        assert remote.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
        ok = remote.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scraper-token")
        assert ok.status_code == 200

    def test_metrics_are_not_in_the_public_api_schema(self, db):
        schema = APIClient().get("/api/schema/?format=json").json()

        assert not any("metrics" in path for path in schema["paths"])


def test_an_upload_is_counted_with_its_thumbnails_and_request(client_for, upload):
    client = client_for("Premium")
    before = scrape()

    assert upload(client, image_bytes(800, 600)).status_code == 201
    assert upload(client, b"not an image at all").status_code == 400

    after = scrape()
    assert value(after, "imageapi_uploads_total", outcome="accepted", reason="") == (
        value(before, "imageapi_uploads_total", outcome="accepted", reason="") + 1
    )
    refused = {
        labels: count - before.get((name, labels), 0)
        for (name, labels), count in after.items()
        if name == "imageapi_uploads_total" and ("outcome", "refused") in labels
    }
    assert sum(refused.values()) == 1
    (reason,) = [dict(labels)["reason"] for labels, n in refused.items() if n == 1]
    assert reason not in {"", "invalid"}  # the processing layer's own code
    made = value(after, "imageapi_thumbnails_made_total", format="JPEG") - value(
        before, "imageapi_thumbnails_made_total", format="JPEG"
    )
    assert made == 2  # Premium: 200 and 400 px
    renders = value(after, "imageapi_thumbnail_render_seconds_count") - value(
        before, "imageapi_thumbnail_render_seconds_count"
    )
    assert renders == 1
    requests = "django_http_responses_total_by_status_view_method_total"
    assert value(after, requests, status="201", view="image-list", method="POST") >= 1
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert value(after, latency, view="image-list", method="POST") >= 2


def test_cache_hits_and_misses_are_counted(private_redis, settings, client_for):
    settings.CACHES = {
        "default": {
            "BACKEND": "imageapi.redis_cache.FailFastRedisCache",
            "LOCATION": private_redis.url + "/0",
        }
    }
    redis_cache._down_until.clear()
    client = client_for("Basic")

    def hits():
        return REGISTRY.get_sample_value("django_cache_get_hits_total", {"backend": "redis"}) or 0

    before = hits()

    client.get("/api/user/images/")
    second = client.get("/api/user/images/")

    assert second["X-Cache"] == "hit"
    assert hits() > before


def test_queue_depth_is_read_from_the_broker(private_redis, settings, db):
    settings.CELERY_BROKER_URL = private_redis.url + "/1"
    redis.Redis.from_url(settings.CELERY_BROKER_URL).rpush("celery", "a", "b", "c")

    assert value(scrape(), "imageapi_task_queue_depth", queue="celery") == 3


def test_an_unreachable_broker_leaves_queue_depth_out(settings, db):
    from tests.conftest import free_port

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/1"

    assert ("imageapi_task_queue_depth", (("queue", "celery"),)) not in scrape()


class TestRequestIds:
    def test_every_response_names_its_request(self, db):
        response = Client().get("/healthz")

        assert len(response["X-Request-ID"]) == 32

    def test_a_well_formed_incoming_id_is_kept_and_a_hostile_one_replaced(self, db):
        kept = Client().get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a.1")
        replaced = Client().get("/healthz", HTTP_X_REQUEST_ID="x" * 65 + "\n{evil}")

        assert kept["X-Request-ID"] == "edge-7f3a.1"
        assert replaced["X-Request-ID"] != "x" * 65 + "\n{evil}"
        assert len(replaced["X-Request-ID"]) == 32

    def test_log_records_of_a_request_carry_its_id(self, client_for, caplog):
        client = client_for()
        with caplog.at_level(logging.INFO, logger="imageapi.request"):
            response = client.get("/api/user/images/", HTTP_X_REQUEST_ID="req-42")

        (line,) = [r for r in caplog.records if r.name == "imageapi.request"]
        assert line.request_id == "req-42" == response["X-Request-ID"]
        assert (line.method, line.path, line.status) == ("GET", "/api/user/images/", 200)


def test_log_format_json_writes_one_object_per_line(settings, capsys, db):
    config = json.loads(json.dumps(settings.LOGGING, default=str))
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = "ext://sys.stdout"
    logging.config.dictConfig(config)
    try:
        Client().get("/healthz", HTTP_X_REQUEST_ID="json-1")
        logging.getLogger("images").warning("outside any request")
    finally:
        logging.config.dictConfig(settings.LOGGING)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    request_line = next(line for line in lines if line["logger"] == "imageapi.request")
    assert request_line["request_id"] == "json-1"
    assert request_line["status"] == 200
    assert request_line["path"] == "/healthz"
    assert {"time", "level", "message", "duration_ms", "client"} <= set(request_line)
    assert lines[-1]["request_id"] == "-"
    assert lines[-1]["message"] == "outside any request"


@pytest.mark.parametrize("fmt", ["xml"])
def test_an_unknown_log_format_is_refused(fmt):
    result = import_settings(LOG_FORMAT=fmt)

    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr
