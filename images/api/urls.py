from django.urls import path
from rest_framework.routers import SimpleRouter

from images.api import views

router = SimpleRouter()
router.register("images", views.ImageViewSet, basename="image")
router.register("thumbnails", views.ThumbnailViewSet, basename="thumbnail")

urlpatterns = [
    *router.urls,
    path("link/<int:id>/", views.ExpiringLinkView.as_view(), name="expiring-link"),
]
