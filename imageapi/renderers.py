"""JSON rendered by orjson: the API's answers are large lists of plain values."""

import orjson
from rest_framework.renderers import BaseRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_UTC_Z
_fallback = JSONEncoder()


def dumps(data: object, options: int = 0) -> bytes:
    """The API's JSON encoding, for the renderer and for answers streamed without it."""
    return orjson.dumps(data, default=_fallback.default, option=_OPTIONS | options)


class ORJSONRenderer(BaseRenderer):
    """DRF's JSON renderer, faster; what orjson does not know DRF's encoder converts."""

    media_type = "application/json"
    format = "json"
    charset = None  # JSON is UTF-8 by definition

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        indent = bool(renderer_context and renderer_context.get("indent"))
        return dumps(data, orjson.OPT_INDENT_2 if indent else 0)
