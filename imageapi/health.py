"""Liveness and readiness probes for orchestrators and load balancers."""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from images.files import storage

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return a value just written")
    cache.delete(key)


def _check_storage() -> None:
    storage.probe()


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
    "storage": _check_storage,
}

_probe_schema = inline_serializer(
    "Probe",
    fields={
        "status": serializers.CharField(),
        "checks": serializers.DictField(child=serializers.CharField(), required=False),
    },
)


class _ProbeView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)


class LivenessView(_ProbeView):
    @extend_schema(tags=["health"], summary="The process is alive", responses={200: _probe_schema})
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadinessView(_ProbeView):
    @extend_schema(
        tags=["health"],
        summary="Database, cache and storage are reachable",
        responses={200: _probe_schema, 503: _probe_schema},
    )
    def get(self, request: Request) -> Response:
        results = {}
        for name, check in CHECKS.items():
            try:
                check()
            except Exception as exc:
                logger.warning("readiness check %s failed: %s", name, exc)
                results[name] = "unavailable"
            else:
                results[name] = "ok"
        failed = [name for name, result in results.items() if result != "ok"]
        if failed:
            return Response(
                {"status": f"not ready: {', '.join(failed)} unavailable", "checks": results},
                status=503,
            )
        return Response({"status": "ok", "checks": results})
