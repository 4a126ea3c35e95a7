"""A few bytes of blur that stand in for an image while it loads (BlurHash)."""

import io

import blurhash
from PIL import Image

# BlurHash keeps a handful of cosine components; a tiny source gives the same result.
SOURCE_SIZE = (32, 32)
COMPONENTS = (4, 3)


def placeholder(thumbnail: bytes) -> str:
    """The BlurHash of an encoded thumbnail (the smallest one: it is cheapest to decode).

    Transparent areas are shown on white, as a page would most often show them.
    """
    with Image.open(io.BytesIO(thumbnail)) as im:
        im.draft("RGB", SOURCE_SIZE)  # JPEG: decode at 1/8 scale or less
        rgba = im.convert("RGBA")
    rgba.thumbnail(SOURCE_SIZE)
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return blurhash.encode(flat, x_components=COMPONENTS[0], y_components=COMPONENTS[1])
