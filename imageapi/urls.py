from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from imageapi.health import LivenessView, ReadinessView
from imageapi.metrics import metrics_view
from images.delivery import serve

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/user/", include("accounts.urls")),
    path("api/user/", include("images.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="docs/redoc.html"),
        name="redoc",
    ),
    path("api-auth/", include("rest_framework.urls")),
    # Links are bearer tokens, not cookie sessions: no CSRF check, so any method other
    # than GET and HEAD reaches the view's JSON 405.
    path("media/<str:token>", csrf_exempt(serve), name="media"),
    path("healthz", LivenessView.as_view(), name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

handler400 = "imageapi.errors.bad_request"
handler403 = "imageapi.errors.permission_denied"
handler404 = "imageapi.errors.not_found"
handler500 = "imageapi.errors.server_error"
