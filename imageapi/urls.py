from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from imageapi.api_root import APIRootView
from imageapi.docs import RedocView, SwaggerView
from imageapi.health import LivenessView, ReadinessView
from imageapi.metrics import metrics_view
from images.delivery.cors import public_to_every_origin
from images.delivery.views import serve

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", APIRootView.as_view(), name="api-root"),
    path("api/user/", APIRootView.as_view(), name="api-user-root"),
    path("api/user/", include("accounts.urls")),
    path("api/user/", include("images.api.urls")),
    path("api/user/", include("webhooks.api.urls")),
    path("api/user/", include("uploads.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls")),
    path("media/<str:token>", public_to_every_origin(serve), name="media"),
    path("healthz", LivenessView.as_view(), name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

handler400 = "imageapi.error_responses.bad_request"
handler403 = "imageapi.error_responses.permission_denied"
handler404 = "imageapi.error_responses.not_found"
handler500 = "imageapi.error_responses.server_error"
