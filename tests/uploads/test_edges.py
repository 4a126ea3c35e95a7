"""Around staged uploads: racing reservations, storage upkeep, CORS, the API document."""

import os
import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from accounts.models import Tier
from images.files import orphans
from tests.images.concurrency import in_thread
from tests.uploads.conftest import start
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)
APP = "https://app.example.com"


def test_uploads_racing_for_the_last_slot_reserve_it_once(client_for):
    client = client_for(Tier.objects.create(name="One", thumbnail_heights=[50], max_images=1))
    barrier = Barrier(4)

    def race():
        barrier.wait(10)
        return start(client, 1000).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(f.result(60) for f in [in_thread(pool, race) for _ in range(4)])

    assert codes == [201, 403, 403, 403]
    assert Upload.objects.count() == 1


class TestStorageUpkeep:
    @pytest.fixture(autouse=True)
    def _local_only(self, settings):
        if not settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
            pytest.skip("file ages are set on local disk; S3 in tests/scaleout")

    def staged_file(self, key: str, hours_old: float = 2) -> str:
        name = default_storage.save(key, ContentFile(b"staged bytes"))
        then = time.time() - hours_old * 3600
        os.utime(default_storage.path(name), (then, then))
        return name

    def test_cleanup_storage_removes_staged_files_no_live_upload_claims(self, client_for, started):
        client = client_for("Premium")
        live = Upload.objects.get(pk=started(client, b"x" * 12).id)
        ended = Upload.objects.get(pk=started(client, b"x" * 12).id)
        Upload.objects.filter(pk=ended.pk).update(status=Upload.Status.REJECTED)
        for upload in (live, ended):
            self.staged_file(upload.staging_key)
        self.staged_file("staging/guessed-key-nobody-handed-out")

        from datetime import timedelta

        found = sorted(o.name for o in orphans.find(timedelta(hours=1)))

        assert found == [ended.staging_key, "staging/guessed-key-nobody-handed-out"]


class TestCors:
    @pytest.fixture(autouse=True)
    def _listed(self, settings):
        settings.CORS_ALLOWED_ORIGINS = [APP]

    def test_a_listed_origin_may_send_an_idempotency_key_and_read_location(self, client_for):
        preflight = APIClient().options(
            "/api/user/uploads/00000000-0000-4000-8000-000000000000/complete",
            HTTP_ORIGIN=APP,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, idempotency-key",
        )
        started = client_for("Premium").post(
            "/api/user/uploads/", {"size": 100, "filename": "a.jpg"}, format="json", HTTP_ORIGIN=APP
        )

        assert "idempotency-key" in preflight["Access-Control-Allow-Headers"].lower()
        assert started.status_code == 201
        exposed = started["Access-Control-Expose-Headers"].lower()
        assert "location" in exposed and "idempotent-replayed" in exposed

    def test_the_signed_put_url_passes_a_preflight_from_a_listed_origin(self, db):
        preflight = APIClient().options(
            "/api/user/uploads/00000000-0000-4000-8000-000000000000/content",
            HTTP_ORIGIN=APP,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
        )

        assert preflight.status_code == 200
        assert preflight["Access-Control-Allow-Origin"] == APP
        assert "PUT" in preflight["Access-Control-Allow-Methods"]


class TestTheApiDocument:
    @pytest.fixture
    def schema(self, db):
        return APIClient().get("/api/schema/?format=json").json()

    def test_the_three_endpoints_are_documented_with_examples_and_errors(self, schema):
        paths = schema["paths"]
        start_op = paths["/api/user/uploads/"]["post"]
        status_op = paths["/api/user/uploads/{id}/"]["get"]
        complete_op = paths["/api/user/uploads/{id}/complete"]["post"]

        assert set(start_op["responses"]) >= {"201", "400", "401", "403", "413", "429"}
        assert set(status_op["responses"]) >= {"200", "404", "410"}
        assert set(complete_op["responses"]) >= {"202", "404", "409", "410", "422"}
        assert len(start_op["responses"]["201"]["content"]["application/json"]["examples"]) == 2
        assert {"Processing", "Ready", "Rejected"} <= set(
            status_op["responses"]["200"]["content"]["application/json"]["examples"]
        )
        headers = {p["name"] for p in complete_op["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers

    def test_the_direct_upload_documents_its_idempotency_key(self, schema):
        upload = schema["paths"]["/api/user/images/"]["post"]

        assert any(p["name"] == "Idempotency-Key" for p in upload["parameters"])
        assert "422" in upload["responses"]


def test_admins_see_uploads_and_kept_answers_read_only(admin_client, client_for, started):
    client = client_for("Premium")
    upload = started(client, b"x" * 10)

    listing = admin_client.get("/admin/uploads/upload/")
    detail = admin_client.get(f"/admin/uploads/upload/{upload.id}/change/")
    adding = admin_client.get("/admin/uploads/upload/add/")

    assert listing.status_code == 200 and upload.id in listing.content.decode()
    assert detail.status_code == 200
    assert adding.status_code == 403
    assert admin_client.get("/admin/uploads/idempotentrequest/").status_code == 200
