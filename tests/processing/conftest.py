import pytest
from PIL import Image

from images.processing import ThumbnailOptions

from .factories import bomb_png, encode, photo_like


@pytest.fixture
def options() -> ThumbnailOptions:
    return ThumbnailOptions()


@pytest.fixture(scope="session")
def bomb() -> bytes:
    """A valid 20000x20000 (400 MP) 1-bit PNG of about 50 KB."""
    return bomb_png()


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    """A 1200x800 photo-like RGB image (kept in memory, shared, never mutated)."""
    return photo_like((1200, 800))


@pytest.fixture(scope="session")
def photo_jpeg(photo) -> bytes:
    return encode(photo, "JPEG", quality=92)
