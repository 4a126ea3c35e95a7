"""The bench's yardsticks are what they claim to be, so its ratios compare like with like.

Thumbnails: "naive" is ordinary Pillow code (a full decode), "drafted" is Pillow with its
reduced-size JPEG decode; both make upright thumbnails of the sizes ours makes. Reads:
each conventional variant of a list answers exactly as the product does, and differs
from the yardstick in the one factor it names.
"""

import io

import pytest
from django.test import Client
from PIL import Image, JpegImagePlugin
from rest_framework.renderers import JSONRenderer

from accounts.tiers.services import ensure_builtin_tiers
from bench.reads import seed
from bench.thumbnails import HEIGHTS, drafted, naive, ours
from imageapi.renderers import ORJSONRenderer


def jpeg(size: tuple[int, int], orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    Image.radial_gradient("L").resize(size).convert("RGB").save(out, "JPEG", exif=exif)
    return out.getvalue()


def sizes(thumbnails: list[bytes]) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO(content)).size for content in thumbnails]


@pytest.mark.parametrize("orientation", [1, 6])
@pytest.mark.parametrize("method", [naive, drafted])
def test_pillow_yardsticks_make_upright_thumbnails_of_our_heights(method, orientation):
    data = jpeg((1500, 1000), orientation)
    made = sizes(method(data, "JPEG"))
    assert [height for _, height in made] == list(HEIGHTS)
    widths = [width for width, _ in made]
    assert widths == pytest.approx([width for width, _ in sizes(ours(data, "JPEG"))], abs=1)
    upright_portrait = orientation == 6
    assert all((w < h) == upright_portrait for w, h in made)


@pytest.fixture
def draft_scales(monkeypatch) -> list[int]:
    """The DCT scale of every JPEG decode that asked for a draft."""
    scales: list[int] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original(self, mode, size)
        scales.append(self.decoderconfig[0] if self.decoderconfig else 1)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return scales


def test_naive_decodes_the_whole_jpeg(draft_scales):
    naive(jpeg((3200, 2400), 1), "JPEG")
    assert all(scale == 1 for scale in draft_scales)


def test_drafted_decodes_the_jpeg_at_a_reduced_scale(draft_scales):
    drafted(jpeg((3200, 2400), 6), "JPEG")
    # Upright the largest thumbnail is 300x400, stored 400x300; thumbnail()'s reducing_gap
    # of 2 asks the decoder for at least 800x600, and 3200x2400 / 4 is that.
    assert draft_scales == [4]


CONVENTIONAL = "/bench/conventional"


@pytest.fixture
def enterprise(db) -> Client:
    ensure_builtin_tiers()
    _, token = seed("bench-user", 5)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


@pytest.mark.urls("bench.urls")
@pytest.mark.parametrize(
    ("path", "ours", "renderer"),
    [
        (f"{CONVENTIONAL}/images/", "/api/user/images/", ORJSONRenderer),
        (f"{CONVENTIONAL}/json/images/", "/api/user/images/", JSONRenderer),
        (f"{CONVENTIONAL}/links/images/", "/api/user/images/", ORJSONRenderer),
        (f"{CONVENTIONAL}/thumbnails/", "/api/user/thumbnails/", ORJSONRenderer),
    ],
)
def test_conventional_lists_answer_as_the_product_does(enterprise, path, ours, renderer):
    theirs = enterprise.get(path)
    assert theirs.status_code == 200
    assert type(theirs.accepted_renderer) is renderer
    product = enterprise.get(ours).json()
    assert len(product) >= 5
    assert theirs.json() == product  # signed links included
