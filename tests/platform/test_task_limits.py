"""Celery's visibility timeout and task time limits are set together: a task whose
worker died is redelivered within minutes, and a running task never twice."""

from django.conf import settings

from imageapi.celery import app
from tests.platform.conftest import import_settings


def test_a_lost_task_is_redelivered_within_minutes_not_an_hour():
    options = app.conf.broker_transport_options

    assert options["visibility_timeout"] <= 10 * 60
    assert options["visibility_timeout"] > app.conf.task_time_limit
    # kombu sweeps for such tasks every interval * throttle seconds (default 100 s).
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= 30
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


def test_broker_sockets_give_up_within_a_second():
    options = app.conf.broker_transport_options

    assert options["socket_timeout"] < 1
    assert options["socket_connect_timeout"] < 1
    assert app.conf.broker_connection_timeout < 1
    assert app.conf.task_publish_retry_policy["max_retries"] <= 1


def test_a_visibility_timeout_shorter_than_the_time_limit_is_refused():
    result = import_settings(CELERY_VISIBILITY_TIMEOUT="60", CELERY_TASK_TIME_LIMIT="120")

    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT" in result.stderr


def test_expired_tokens_are_flushed_on_a_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["flush-expired-tokens"]
    app.loader.import_default_modules()  # what a worker does when it starts

    assert entry["task"] in app.tasks
    assert entry["schedule"] <= 24 * 3600
