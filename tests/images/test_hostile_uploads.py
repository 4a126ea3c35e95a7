"""Hostile files through the API: 400 with a reason naming the limit, nothing stored."""

import pytest

from images.models import Image, Thumbnail
from tests.images.conftest import stored_files
from tests.processing import hostile
from tests.processing.factories import encode, photo_like

HOSTILE = {
    "png bad filter byte": (hostile.png_bad_filter_byte, "damaged"),
    "png palette without PLTE": (hostile.png_palette_without_plte, "without its palette"),
    "png iCCP inflating to 30 MB": (hostile.png_iccp_bomb, "ICC profile"),
    "png zTXt bomb": (hostile.png_ztxt_bomb, "text chunks"),
    "png text chunk over Pillow's limit": (hostile.png_text_chunk_over_limit, "text chunk"),
    "apng frame sequence error": (hostile.apng_frame_sequence_error, "damaged"),
    "jpeg scan bomb": (lambda: hostile.scan_bomb(size=1024, repeats=20_000), "MAX_JPEG_SCANS"),
    "progressive 4:4:4 claiming 50 MP": (
        lambda: hostile.claiming(hostile.progressive_444(64, 48), 8660, 5773),
        "MAX_DECODE_BYTES",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_uploads_are_refused_and_leave_nothing_behind(client_for, upload, case):
    build, words = HOSTILE[case]

    # Premium: no pixel cap of its own, so the server's budgets are what refuses.
    response = upload(client_for("Premium"), build(), name="hostile.png")

    assert response.status_code == 400
    assert words in " ".join(response.json()["image"])
    assert Image.objects.count() == 0
    assert Thumbnail.objects.count() == 0
    assert stored_files() == []


def test_the_budgets_are_settings(client_for, upload, settings):
    data = encode(photo_like((64, 48)).convert("L"), "JPEG", progressive=True)
    client = client_for("Basic")
    settings.MAX_JPEG_SCANS = 2

    refused = upload(client, data)
    settings.MAX_JPEG_SCANS = 32
    settings.MAX_DECODE_BYTES = 1024
    too_costly = upload(client, data)
    settings.MAX_DECODE_BYTES = 256 * 1024 * 1024

    assert refused.status_code == 400 and "the limit is 2" in refused.json()["image"][0]
    assert too_costly.status_code == 400 and "MAX_DECODE_BYTES" in too_costly.json()["image"][0]
    assert upload(client, data).status_code == 201
