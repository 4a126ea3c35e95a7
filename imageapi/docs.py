"""The documentation pages: Swagger UI and ReDoc, served with nothing from other hosts."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its script served as a file (no inline script: the CSP forbids it)."""

    template_name_js = "docs/swagger_ui.js"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RedocView(SpectacularRedocView):
    template_name = "docs/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
