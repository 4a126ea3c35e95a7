"""The REST API: DRF defaults and the OpenAPI document."""

from imageapi.settings.auth import JWT_REFRESH_THROTTLE_RATE
from imageapi.settings.core import NUM_PROXIES
from images.processing.formats import accepted_formats

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "accounts.authentication.JWTCookieAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "imageapi.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "imageapi.error_responses.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"jwt-refresh": JWT_REFRESH_THROTTLE_RATE},
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Image API",
    "DESCRIPTION": (
        f"Upload {accepted_formats('or')} images and get thumbnail links sized by your "
        "account tier, "
        "a link to the original where the tier allows it, and signed links that expire."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/static/favicon.svg",
    # No badge from validator.swagger.io: the page asks nothing of other hosts.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "imageapi.schema.document_protected_errors",
        "imageapi.schema.integer_path_ids",
        "imageapi.schema.list_examples",
    ],
}
