"""The documentation pages: Swagger UI and ReDoc, served with nothing from other hosts."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

# The ReDoc bundle always renders a logo from cdn.redoc.ly; the policy stops the browser
# from fetching it (the image's error handler then removes it) and from fetching
# anything else off this server.
DOCS_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self' 'unsafe-inline' blob:",
        "worker-src 'self' blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
    ]
)


class SwaggerView(SpectacularSwaggerView):
    template_name_js = "docs/swagger_ui.js"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_POLICY
        return response


class RedocView(SpectacularRedocView):
    template_name = "docs/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_POLICY
        return response
