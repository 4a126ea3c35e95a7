"""The product's URLs plus the conventional implementation under ``/bench/conventional/``."""

from django.urls import include, path

from bench import conventional
from imageapi.urls import handler400, handler403, handler404, handler500
from imageapi.urls import urlpatterns as product

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [path("bench/conventional/", include(conventional.urlpatterns)), *product]
